// Serves a Web-standard route handler (Request → Response) on Node's http server, the way Next.js
// does for app/ route handlers but without the rest of its request pipeline. The production
// server (scripts/serve.ts) uses it for /api/v1, the gateway's hot path. It knows nothing of any
// API's error shapes: the caller says how to answer when the handler throws.
import type { IncomingMessage, ServerResponse } from "node:http";

export type WebHandler = (request: Request) => Promise<Response>;

export interface ServeOptions {
  /** The answer when the handler throws before it answered (default: a bare 500). */
  onError?: (error: unknown) => Response;
}

/** Headers about one connection, which Node manages itself; copying them would contradict it. */
const connectionHeaders = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

function toHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  return headers;
}

/**
 * The request body as a web stream that pulls from the socket as it is read. Cancelling it stops
 * reading but leaves the socket alone (unlike Readable.toWeb, whose cancel destroys it and so loses
 * the answer that says why); serveWebHandler drains the rest. `detach` stops it taking what follows
 * (a handler that never read the body has not cancelled it), so draining holds nothing in memory.
 */
function bodyStream(request: IncomingMessage): { stream: ReadableStream<Uint8Array>; detach: () => void } {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        request.on("data", (chunk: Buffer) => {
          if (cancelled) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) request.pause();
        });
        request.once("end", () => cancelled || controller.close());
        request.once("error", (error) => cancelled || controller.error(error));
        request.pause();
      },
      pull() {
        request.resume();
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
  return { stream, detach: () => void (cancelled = true) };
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

/**
 * The body is handed to the handler as a stream, unread: the handler decides whether to read it
 * at all (an API refuses a bad key before reading) and how much (it caps the size as it reads).
 * Whatever it left unread is discarded after the answer, so the connection can be reused.
 */
export async function serveWebHandler(handler: WebHandler, request: IncomingMessage, response: ServerResponse, options: ServeOptions = {}): Promise<void> {
  // Aborted when the client disconnects before the answer is complete: the handler sees it as
  // request.signal (the gateway stops the provider call), and the writer stops writing.
  const gone = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) gone.abort();
  });
  try {
    const method = request.method ?? "GET";
    const bodyless = method === "GET" || method === "HEAD";
    const url = `http://${request.headers.host ?? "localhost"}${request.url ?? "/"}`;
    const body = bodyless ? undefined : bodyStream(request);
    const webRequest = new Request(url, {
      method: method === "HEAD" ? "GET" : method,
      headers: toHeaders(request),
      body: body?.stream,
      signal: gone.signal,
      // @ts-expect-error Node's fetch needs `duplex` for a streamed request body; the DOM types lack it.
      duplex: "half",
    });
    const answer = await handler(webRequest);
    if (!request.complete) drainUnreadBody(request, body?.detach);
    await writeResponse(answer, response, gone.signal, method === "HEAD");
  } catch (error) {
    if (gone.signal.aborted || response.headersSent) return void response.destroy(); // the client left, or the answer broke off
    if (!request.complete) drainUnreadBody(request);
    await writeResponse(options.onError?.(error) ?? new Response(null, { status: 500 }), response, gone.signal, false);
  }
}

/** How much of an unread body is drained after an early answer, at most: bytes and time. */
export const DRAIN_LIMITS = { bytes: 64 * 1024 * 1024, ms: 30_000 };

/**
 * An answer given before the body was read (a refusal: too large, no key) goes out at once, and the
 * connection stays open while the rest of the body arrives and is dropped. Closing it instead would
 * leave unsent data on the client's side: its next write meets a reset, and a client still writing
 * often loses the answer with it ("Connection error"). A client that sends more than DRAIN_LIMITS
 * allow is cut off. scripts/serve.ts does the same for what Next.js answers early (uploads refused).
 */
function drainUnreadBody(request: IncomingMessage, detach?: () => void): void {
  detach?.();
  let drained = 0;
  const stop = () => {
    clearTimeout(timer);
    request.off("data", count);
  };
  const cutOff = () => {
    stop();
    request.destroy();
  };
  const count = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMITS.bytes) cutOff();
  };
  const timer = setTimeout(cutOff, DRAIN_LIMITS.ms);
  request.on("data", count);
  request.once("end", stop);
  request.once("close", stop);
  request.resume();
}
