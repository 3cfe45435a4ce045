// The `fetch` the provider SDKs use: Node's http/https with keep-alive pools instead of the
// global fetch (undici), which took 0.19–0.35 ms per loopback call on this project's machine
// against 0.06–0.10 ms: a large share of the gateway's own budget. It implements what the AI SDK needs: a string or
// byte body, headers, an abort signal, and a streamed response body. Failures look like fetch's,
// so the SDK classifies them as it would (connection errors as retriable "fetch failed").
import http from "node:http";
import https from "node:https";
import { pipeline, Readable } from "node:stream";
import zlib from "node:zlib";

const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 512 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 512 }),
};

function requestBody(body: RequestInit["body"]): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError("keel transport: unsupported request body type");
}

/** The body, decompressed if the server compressed it unasked; errors and cancels pass through. */
function decoded(response: http.IncomingMessage): Readable {
  const encoding = response.headers["content-encoding"];
  const decoder =
    encoding === "gzip" ? zlib.createGunzip() : encoding === "deflate" ? zlib.createInflate() : encoding === "br" ? zlib.createBrotliDecompress() : null;
  return decoder ? pipeline(response, decoder, () => {}) : response;
}

const abortError = (signal: AbortSignal): unknown => signal.reason ?? new DOMException("This operation was aborted", "AbortError");

export const providerFetch: typeof fetch = (input, init = {}) => {
  const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new TypeError(`keel transport: unsupported protocol ${url.protocol}`));
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const body = requestBody(init.body);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => (headers[name] = value));
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));

  return new Promise<Response>((resolve, reject) => {
    let incoming: http.IncomingMessage | undefined;
    const request = (url.protocol === "https:" ? https : http).request(url, { method: init.method ?? "GET", headers, agent }, (response) => {
      incoming = response;
      const responseHeaders = new Headers();
      const raw = response.rawHeaders;
      const recoded = Boolean(response.headers["content-encoding"]);
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if (!(recoded && /^content-(encoding|length)$/i.test(raw[i]!))) responseHeaders.append(raw[i]!, raw[i + 1]!);
      }
      const status = response.statusCode ?? 0;
      try {
        const stream = status === 204 || status === 304 ? null : (Readable.toWeb(decoded(response)) as ReadableStream<Uint8Array>);
        resolve(new Response(stream, { status, statusText: response.statusMessage, headers: responseHeaders }));
      } catch (error) {
        // A status fetch cannot represent (outside 200–599): a broken server, like a dropped connection.
        response.destroy();
        reject(new TypeError("fetch failed", { cause: error }));
      }
    });
    // As fetch does: network failures are TypeError("fetch failed") with the cause attached.
    request.on("error", (error) => reject(signal?.aborted ? abortError(signal) : new TypeError("fetch failed", { cause: error })));
    if (signal) {
      const onAbort = () => {
        const reason = abortError(signal) as Error;
        // Mid-body, the body errors with the abort's reason too, as with fetch.
        incoming?.destroy(reason);
        request.destroy(reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      request.on("close", () => signal.removeEventListener("abort", onAbort));
    }
    request.end(body);
  });
};
