// Serves a Web-standard route handler (Request → Response) on Node's http server, the way Next.js
// does for app/ route handlers but without the rest of its request pipeline. The production
// server (scripts/serve.ts) uses it for /api/v1, the gateway's hot path, so its own refusals are
// in OpenAI's error shape too.
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorToResponse, openAiError } from "@/lib/openai-compat/errors";

export type WebHandler = (request: Request) => Promise<Response>;

/** Bodies above this are refused before they are read into memory (the handlers cap lower). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Headers about one connection, which Node manages itself; copying them would contradict it. */
const connectionHeaders = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

/** The body, or null once it passed MAX_BODY_BYTES (declared or actual). */
function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (Number(request.headers["content-length"] ?? 0) > MAX_BODY_BYTES) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      // Stop buffering; the caller answers 413 and closes the connection.
      request.off("data", onData);
      chunks.length = 0;
      resolve(null);
    };
    request.on("data", onData);
    request.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function toHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  return headers;
}

/** Resolves when the socket can take more, or the client has gone. */
const writable = (response: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.once("drain", done);
    response.once("close", done);
  });

/**
 * Copies a Response onto the socket. A server-sent event stream is passed on chunk by chunk with
 * backpressure; any other body is sent whole with its length, in one write: system calls are a
 * large share of a call's cost on small VMs. When the client goes away the body is cancelled,
 * which stops the provider stream behind it.
 */
async function writeResponse(response: Response, nodeResponse: ServerResponse, gone: AbortSignal, headOnly: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie" && !connectionHeaders.has(name)) headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body = response.body;
  if (!body || headOnly || gone.aborted) {
    await body?.cancel().catch(() => {});
    nodeResponse.writeHead(response.status, headers);
    return void nodeResponse.end();
  }
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
    const whole = Buffer.from(await response.arrayBuffer());
    headers["content-length"] = String(whole.length);
    nodeResponse.writeHead(response.status, headers);
    return void nodeResponse.end(whole);
  }
  nodeResponse.writeHead(response.status, headers);
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  gone.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || gone.aborted) break;
      if (!nodeResponse.write(value)) await writable(nodeResponse);
    }
  } finally {
    gone.removeEventListener("abort", cancel);
  }
  nodeResponse.end();
}

export async function serveWebHandler(handler: WebHandler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // Aborted when the client disconnects before the answer is complete: the handler sees it as
  // request.signal (the gateway stops the provider call), and the writer stops writing.
  const gone = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) gone.abort();
  });
  try {
    const method = request.method ?? "GET";
    const bodyless = method === "GET" || method === "HEAD";
    const body = bodyless ? undefined : await readBody(request);
    if (body === null) {
      response.setHeader("connection", "close");
      await writeResponse(
        openAiError(413, `Request body too large (limit ${MAX_BODY_BYTES} bytes).`, "invalid_request_error", "request_too_large"),
        response,
        gone.signal,
        false,
      );
      // Discard the rest rather than close on unread data, which can reset the connection and
      // lose the 413 on its way; give up on a client that keeps sending.
      request.resume();
      const cutOff = setTimeout(() => request.destroy(), 2_000);
      request.once("end", () => clearTimeout(cutOff));
      return;
    }
    const url = `http://${request.headers.host ?? "localhost"}${request.url ?? "/"}`;
    const webRequest = new Request(url, {
      method: method === "HEAD" ? "GET" : method,
      headers: toHeaders(request),
      body: body ? new Uint8Array(body) : undefined,
      signal: gone.signal,
    });
    await writeResponse(await handler(webRequest), response, gone.signal, method === "HEAD");
  } catch (error) {
    if (gone.signal.aborted || response.headersSent) return void response.destroy(); // the client left, or the answer broke off
    await writeResponse(errorToResponse(error), response, gone.signal, false);
  }
}
