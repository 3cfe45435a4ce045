// The production server's path for /api/v1: Web handlers on Node's http server, over real sockets.
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DRAIN_LIMITS, serveWebHandler, type WebHandler } from "./node-adapter";
import { readCappedText } from "./read-capped-body";

let server: http.Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  return new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

async function serve(handler: WebHandler): Promise<string> {
  server = http.createServer((request, response) => void serveWebHandler(handler, request, response));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("serveWebHandler", () => {
  it("passes method, path, headers and body in, and a whole JSON answer out with its length", async () => {
    const url = await serve(async (request) =>
      Response.json(
        {
          method: request.method,
          path: new URL(request.url).pathname + new URL(request.url).search,
          auth: request.headers.get("authorization"),
          body: await request.json(),
        },
        { status: 201, headers: { "x-request-id": "r1" } },
      ),
    );
    const response = await fetch(`${url}/api/v1/thing?x=1`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({ hello: "wörld" }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-request-id")).toBe("r1");
    expect(response.headers.get("content-length")).toBe(
      String(Buffer.byteLength(JSON.stringify({ method: "POST", path: "/api/v1/thing?x=1", auth: "Bearer k", body: { hello: "wörld" } }))),
    );
    expect(await response.json()).toEqual({ method: "POST", path: "/api/v1/thing?x=1", auth: "Bearer k", body: { hello: "wörld" } });
  });

  it("streams server-sent events chunk by chunk, before the handler's stream has ended", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const url = await serve(async () => {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode("data: one\n\n"));
          await held;
          controller.enqueue(encoder.encode("data: two\n\n"));
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const response = await fetch(url);
    const reader = response.body!.getReader();
    // The first event arrives while the second is still held back by the handler.
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: one\n\n");
    release();
    let rest = "";
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest += new TextDecoder().decode(next.value);
    expect(rest).toBe("data: two\n\n");
  });

  it("aborts the request's signal and cancels the body when the client disconnects mid-stream", async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => (aborted = resolve));
    let cancelled!: () => void;
    const sawCancel = new Promise<void>((resolve) => (cancelled = resolve));
    const url = await serve(async (request) => {
      request.signal.addEventListener("abort", () => aborted());
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => controller.enqueue(new TextEncoder().encode("data: first\n\n")),
        cancel: () => cancelled(),
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    await response.body!.getReader().read();
    controller.abort();
    await expect(Promise.all([sawAbort, sawCancel])).resolves.toBeDefined();
  });

  it("hands the body over unread, so a handler can refuse before reading it, and its refusal arrives intact", async () => {
    let received = 0;
    const url = await serve(async (request) => {
      if (request.headers.get("authorization") !== "Bearer ok") return new Response("no key", { status: 401 });
      const text = await readCappedText(request, 1024);
      received = text?.length ?? -1;
      return text === null ? new Response("too large", { status: 413 }) : new Response(text);
    });
    // Refused without a key: the 5 MB upload is not read, yet the 401 arrives intact.
    const refused = await fetch(url, { method: "POST", body: "x".repeat(5 * 1024 * 1024) });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toBe("no key");
    expect(received).toBe(0);
    // Over the handler's cap: refused after its first bytes past the limit, with a 413 that arrives.
    const tooLarge = await fetch(url, { method: "POST", headers: { authorization: "Bearer ok" }, body: "y".repeat(5 * 1024 * 1024) });
    expect(tooLarge.status).toBe(413);
    expect(received).toBe(-1);
    const fine = await fetch(url, { method: "POST", headers: { authorization: "Bearer ok" }, body: "hello" });
    expect(await fine.text()).toBe("hello");
  });

  it("answers before an unread body has arrived, drains it, and cuts off a client that sends past the drain's bounds", async () => {
    const saved = { ...DRAIN_LIMITS };
    Object.assign(DRAIN_LIMITS, { bytes: 1024 * 1024, ms: 1_500 });
    try {
      const url = new URL(await serve(async () => new Response("no key", { status: 401 })));
      // A client that never stops sending (chunked, no length): the answer comes at once, and the
      // connection is cut once it passed the drain's byte bound rather than reading on for ever.
      const socket = net.connect(Number(url.port), url.hostname);
      socket.write("POST /api/v1/x HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n");
      const chunk = Buffer.alloc(16 * 1024, 120);
      let sent = 0;
      let answer = "";
      socket.on("data", (data: Buffer) => (answer += data.toString("latin1")));
      socket.on("error", () => {});
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      const started = performance.now();
      const pump = setInterval(() => {
        if (socket.destroyed) return;
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write("\r\n");
        sent += chunk.length;
      }, 2);
      await closed;
      clearInterval(pump);
      expect(performance.now() - started).toBeLessThan(DRAIN_LIMITS.ms + 1_000);
      expect(sent).toBeGreaterThan(0);
      expect(answer).toMatch(/^HTTP\/1\.1 401/);
    } finally {
      Object.assign(DRAIN_LIMITS, saved);
    }
  });

  it("answers with the caller's error response when a handler throws, and a bare 500 without one", async () => {
    const url = await serve(async () => {
      throw new Error("boom");
    });
    const bare = await fetch(url);
    expect(bare.status).toBe(500);
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = http.createServer(
      (request, response) =>
        void serveWebHandler(
          async () => {
            throw new Error("boom");
          },
          request,
          response,
          { onError: () => Response.json({ error: "shaped" }, { status: 502 }) },
        ),
    );
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const shaped = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    expect(shaped.status).toBe(502);
    expect(await shaped.json()).toEqual({ error: "shaped" });
  });

  it("answers HEAD through the GET handler without a body, and keeps connection headers its own", async () => {
    const seen: string[] = [];
    const url = await serve(async (request) => {
      seen.push(request.method);
      return Response.json({ ok: true }, { headers: { connection: "keep-alive", "transfer-encoding": "chunked" } });
    });
    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const get = await fetch(url, { headers: { connection: "close" } });
    // The handler's `connection` and `transfer-encoding` are not copied: the answer has a length.
    expect(get.headers.get("transfer-encoding")).toBeNull();
    expect(get.headers.get("content-length")).toBe(String(JSON.stringify({ ok: true }).length));
    expect(seen).toEqual(["GET", "GET"]);
  });
});
