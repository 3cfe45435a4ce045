// Serves a Web-standard route handler (Request → Response) on Node's http server, the way Next.js
// does for app/ route handlers but without the rest of its request pipeline. The production
// server (scripts/serve.ts) uses it for /api/v1, the gateway's hot path. It knows nothing of any
// API's error shapes: the caller says how to answer when the handler throws.
//
// @remix-run/node-fetch-server does the conversion both ways: the request's body as a web stream
// read from the socket with backpressure, its signal aborted when the client leaves before the
// answer is complete, and the answer's body written with backpressure and cancelled when the
// client leaves. What is Keel's own below: HEAD served by the GET handler, whole answers sent with
// their length, Node's connection headers kept Node's, and the unread body drained within bounds.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequest, sendResponse } from "@remix-run/node-fetch-server";

export type WebHandler = (request: Request) => Promise<Response>;

export interface ServeOptions {
  /** The answer when the handler throws before it answered (default: a bare 500). */
  onError?: (error: unknown) => Response;
}

/** Headers about one connection, which Node manages itself; copying them would contradict it. */
const connectionHeaders = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

/**
 * The answer as it goes on the socket. A server-sent event stream is passed on chunk by chunk; any
 * other body is read whole and sent with its length, in one write: system calls are a large share
 * of a call's cost on small VMs, and a length lets the client reuse the connection without chunks.
 */
async function forTheSocket(answer: Response, headOnly: boolean): Promise<Response> {
  const headers = new Headers();
  answer.headers.forEach((value, name) => {
    if (!connectionHeaders.has(name) && name !== "set-cookie") headers.set(name, value);
  });
  for (const cookie of answer.headers.getSetCookie()) headers.append("set-cookie", cookie);
  const init = { status: answer.status, statusText: answer.statusText || STATUS_CODES[answer.status], headers };
  if (!answer.body || headOnly) {
    await answer.body?.cancel().catch(() => {});
    return new Response(null, init);
  }
  if (answer.headers.get("content-type")?.startsWith("text/event-stream")) return new Response(answer.body, init);
  const whole = new Uint8Array(await answer.arrayBuffer());
  headers.set("content-length", String(whole.byteLength));
  return new Response(whole, init);
}

/**
 * The body is handed to the handler as a stream, unread: the handler decides whether to read it
 * at all (an API refuses a bad key before reading) and how much (it caps the size as it reads).
 * Whatever it left unread is discarded after the answer, so the connection can be reused.
 */
export async function serveWebHandler(handler: WebHandler, request: IncomingMessage, response: ServerResponse, options: ServeOptions = {}): Promise<void> {
  const headOnly = request.method === "HEAD";
  let webRequest: Request | undefined;
  try {
    // Its signal aborts when the client disconnects before the answer is complete: the gateway
    // stops the provider call.
    webRequest = createRequest(request, response);
    // Route handlers export GET; a HEAD is answered by it, without the body.
    if (headOnly) webRequest = new Request(webRequest, { method: "GET" });
    const answer = await handler(webRequest);
    if (webRequest.signal.aborted) {
      // The client left while the handler worked: its answer is dropped, its stream stopped.
      await answer.body?.cancel().catch(() => {});
      return void response.destroy();
    }
    if (!request.complete) drainUnreadBody(request, webRequest.body);
    await sendResponse(response, await forTheSocket(answer, headOnly));
  } catch (error) {
    // The client left, or the answer broke off once started: nothing more can be said.
    if (webRequest?.signal.aborted || response.headersSent) return void response.destroy();
    if (!request.complete) drainUnreadBody(request, webRequest?.body ?? null);
    await sendResponse(response, await forTheSocket(options.onError?.(error) ?? new Response(null, { status: 500 }), false));
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
function drainUnreadBody(request: IncomingMessage, body: ReadableStream<Uint8Array> | null): void {
  // The web stream stops taking chunks, so draining holds nothing in memory. A handler that locked
  // it and walked away cannot have it cancelled: its listeners are taken off the socket instead.
  if (body && !body.locked) void body.cancel().catch(() => {});
  request.removeAllListeners("data");
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
