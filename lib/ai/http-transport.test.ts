// The provider SDKs' transport must behave like fetch where the SDK and the gateway's fallback
// look: statuses and headers, streamed bodies, compressed bodies, aborts and network failures;
// and it must go through HTTP_PROXY, except to the hosts NO_PROXY names.
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import zlib from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { fetchThrough, providerDispatcher, providerFetch, proxySettingsFromEnv } from "./http-transport";
import { classifyFailure } from "./retry";

let server: http.Server | undefined;
const extraServers: http.Server[] = [];
afterEach(async () => {
  for (const extra of extraServers.splice(0)) extra.closeAllConnections();
  await Promise.all([server, ...extraServers].map((s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))));
  server = undefined;
});

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

/** A loopback server answering with its own name, so a test sees which one it reached. */
async function namedServer(name: string): Promise<number> {
  const named = http.createServer((request, response) => response.end(`${name} ${request.url}`));
  extraServers.push(named);
  await new Promise<void>((resolve) => named.listen(0, "127.0.0.1", resolve));
  return (named.address() as AddressInfo).port;
}

/** A forward proxy on loopback: CONNECT tunnels (what undici's proxy agent asks for), recorded. */
async function startProxy(): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const proxy = http.createServer((_request, response) => response.writeHead(501).end());
  proxy.on("connect", (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = request.url ?? "";
    tunnels.push(target);
    const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
    // Only loopback is ever tunnelled to: the test's own servers.
    if (host !== "127.0.0.1") return void client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
    const upstream = net.connect(port, host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.once("error", end);
    client.once("error", end);
  });
  extraServers.push(proxy);
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, tunnels };
}

describe("provider calls and a proxy", () => {
  it("go through HTTP_PROXY, and straight to a host NO_PROXY names", async () => {
    const proxy = await startProxy();
    const [viaProxy, direct] = [await namedServer("proxied"), await namedServer("direct")];
    // NO_PROXY entries may name a port: the second server is reached directly, the first through the proxy.
    const proxiedFetch = fetchThrough(providerDispatcher(proxySettingsFromEnv({ HTTP_PROXY: proxy.url, NO_PROXY: `example.invalid, 127.0.0.1:${direct}` })));

    expect(await (await proxiedFetch(`http://127.0.0.1:${viaProxy}/v1/models`)).text()).toBe("proxied /v1/models");
    expect(proxy.tunnels).toEqual([`127.0.0.1:${viaProxy}`]);
    expect(await (await proxiedFetch(`http://127.0.0.1:${direct}/v1/models`)).text()).toBe("direct /v1/models");
    expect(proxy.tunnels).toEqual([`127.0.0.1:${viaProxy}`]);
  });

  it("go straight to the provider without proxy settings", async () => {
    const proxy = await startProxy();
    const port = await namedServer("direct");
    const unproxied = fetchThrough(providerDispatcher(proxySettingsFromEnv({})));
    expect(await (await unproxied(`http://127.0.0.1:${port}/x`)).text()).toBe("direct /x");
    expect(proxy.tunnels).toEqual([]);
  });

  it("read the settings as curl does, and refuse a proxy that is not a URL", () => {
    expect(proxySettingsFromEnv({})).toEqual({ httpProxy: "", httpsProxy: "", noProxy: "" });
    // HTTPS_PROXY falls back to HTTP_PROXY; lower-case names count too.
    expect(proxySettingsFromEnv({ http_proxy: "http://p:3128", no_proxy: "localhost" })).toEqual({
      httpProxy: "http://p:3128",
      httpsProxy: "http://p:3128",
      noProxy: "localhost",
    });
    expect(proxySettingsFromEnv({ HTTP_PROXY: "http://a:1", HTTPS_PROXY: "http://b:2" }).httpsProxy).toBe("http://b:2");
    expect(() => proxySettingsFromEnv({ HTTPS_PROXY: "not a url" })).toThrow(/HTTPS_PROXY must be a URL/);
  });
});
