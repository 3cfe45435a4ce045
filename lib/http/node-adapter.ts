// Serves a Web-standard route handler (Request → Response) on Node's http server, the way Next.js
// does for app/ route handlers but without the rest of its request pipeline. The production
// server (scripts/serve.ts) uses it for /api/v1, the gateway's hot path.
import type { IncomingMessage, ServerResponse } from "node:http";

export type WebHandler = (request: Request) => Promise<Response>;

/** Bodies above this are refused before they are read into memory (the handlers cap lower). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        resolve(null);
      } else chunks.push(chunk);
    });
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

/**
 * Copies a Response onto the socket. A server-sent event stream is passed on chunk by chunk with
 * backpressure; any other body is sent whole with its length, in one write: system calls are a
 * large share of a call's cost on small VMs.
 */
async function writeResponse(response: Response, nodeResponse: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  if (!response.body) {
    nodeResponse.writeHead(response.status, headers);
    return void nodeResponse.end();
  }
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
    const body = Buffer.from(await response.arrayBuffer());
    headers["content-length"] = String(body.length);
    nodeResponse.writeHead(response.status, headers);
    return void nodeResponse.end(body);
  }
  nodeResponse.writeHead(response.status, headers);
  const reader = response.body.getReader();
  // The client went away: cancel the body, which stops the provider stream behind it.
  nodeResponse.once("close", () => void reader.cancel().catch(() => {}));
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!nodeResponse.write(value)) await new Promise((resolve) => nodeResponse.once("drain", resolve));
  }
  nodeResponse.end();
}

export async function serveWebHandler(handler: WebHandler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const aborted = new AbortController();
  // `close` on the response before it finished means the client disconnected mid-request.
  response.once("close", () => {
    if (!response.writableFinished) aborted.abort();
  });
  try {
    const method = request.method ?? "GET";
    const body = method === "GET" || method === "HEAD" ? undefined : await readBody(request);
    if (body === null) {
      response.writeHead(413, { "content-type": "application/json" });
      return void response.end(JSON.stringify({ error: { message: `Request body too large (limit ${MAX_BODY_BYTES} bytes).`, type: "invalid_request_error", param: null, code: "request_too_large" } }));
    }
    const url = `http://${request.headers.host ?? "localhost"}${request.url ?? "/"}`;
    const webRequest = new Request(url, { method, headers: toHeaders(request), body: body ? new Uint8Array(body) : undefined, signal: aborted.signal });
    await writeResponse(await handler(webRequest), response);
  } catch (error) {
    console.error("api: unhandled error", error);
    if (!response.headersSent) {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: "Internal server error.", type: "server_error", param: null, code: null } }));
    } else response.destroy();
  }
}
