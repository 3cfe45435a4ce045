// The provider SDKs' transport must behave like fetch where the SDK and the gateway's fallback
// look: statuses and headers, streamed bodies, compressed bodies, aborts and network failures.
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { providerFetch } from "./http-transport";
import { classifyFailure } from "./retry";

let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("providerFetch", () => {
  it("sends the method, headers and body, and returns status, headers and body", async () => {
    const url = await serve((request, response) => {
      let body = "";
      request.on("data", (c: Buffer) => (body += c.toString()));
      request.on("end", () => {
        response.writeHead(429, { "content-type": "application/json", "retry-after": "2" });
        response.end(JSON.stringify({ method: request.method, auth: request.headers.authorization, length: request.headers["content-length"], body }));
      });
    });
    const response = await providerFetch(`${url}/v1/chat`, { method: "POST", headers: { authorization: "Bearer x" }, body: JSON.stringify({ a: "é" }) });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(await response.json()).toEqual({ method: "POST", auth: "Bearer x", length: String(Buffer.byteLength('{"a":"é"}')), body: '{"a":"é"}' });
  });

  it("decodes a gzip body and drops the encoding headers that no longer apply", async () => {
    const url = await serve((_request, response) => {
      const compressed = zlib.gzipSync(JSON.stringify({ ok: true }));
      response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": compressed.length });
      response.end(compressed);
    });
    const response = await providerFetch(url);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(await response.json()).toEqual({ ok: true });
  });

  it("streams the body as it arrives", async () => {
    let finish!: () => void;
    const url = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: 1\n\n");
      finish = () => response.end("data: 2\n\n");
    });
    const response = await providerFetch(url);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: 1\n\n");
    finish();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: 2\n\n");
  });

  it("rejects with the abort reason when aborted, before or during the request", async () => {
    const url = await serve(() => {}); // never answers
    const reason = new Error("first-token timeout");
    const early = new AbortController();
    early.abort(reason);
    await expect(providerFetch(url, { signal: early.signal })).rejects.toBe(reason);
    const late = new AbortController();
    const pending = providerFetch(url, { signal: late.signal });
    setTimeout(() => late.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
  });

  it("fails like fetch on a refused connection, which the gateway treats as retriable", async () => {
    const url = await serve(() => {});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const error: unknown = await providerFetch(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("fetch failed");
    expect(classifyFailure(error).kind).toBe("retriable");
  });

  it("errors a body in flight with the abort's reason", async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: 1\n\n"); // and then nothing more
    });
    const controller = new AbortController();
    const response = await providerFetch(url, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    const reason = new Error("stream idle timeout");
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
  });

  it("turns a status fetch cannot represent into a retriable failure instead of crashing", async () => {
    const url = await serve((request) => {
      // A raw response line with status 999, which `new Response()` refuses.
      request.socket.end("HTTP/1.1 999 Weird\r\ncontent-length: 0\r\n\r\n");
    });
    const error: unknown = await providerFetch(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(classifyFailure(error).kind).toBe("retriable");
  });

  it("passes a connection reset inside a compressed body on as an error", async () => {
    const url = await serve((_request, response) => {
      const compressed = zlib.gzipSync("x".repeat(100_000));
      response.writeHead(200, { "content-encoding": "gzip" });
      response.write(compressed.subarray(0, 100));
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const response = await providerFetch(url);
    await expect(response.text()).rejects.toBeDefined();
  });
});
