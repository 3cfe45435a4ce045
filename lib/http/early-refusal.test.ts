// A body over the limit gets its 413 even while the client is still sending it: the server drains
// what follows (up to a bound) before it answers and closes, so the answer is not lost to a reset.
// Proved with the official `openai` client sending a 6 MB prompt to the production server's /api/v1
// router, at loopback speed and paced like an upload over a network (~2 MB/s, when the old 2 s
// cut-off and the close-after-answer lost the 413 as "Connection error"), several times each (the
// failure was intermittent), with maxRetries 0 and with the client's default retries.
import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/api-keys";
import { apiV1Router } from "@/scripts/api-router";
import { createTenant } from "@/test/fixtures";
import { eventsOf } from "@/test/gateway-harness";

let server: http.Server;
let key: string;
let tenantId: string;
let baseURL: string;

beforeAll(async () => {
  const route = await apiV1Router();
  server = http.createServer((request, response) => {
    if (route(request, response) === null) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  const tenant = await createTenant("Early refusals");
  tenantId = tenant.tenantId;
  key = (await createApiKey(tenant, "big bodies")).key;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const sixMegabytes = "All work and no play makes Jack a dull boy. ".repeat(140_000);

/** fetch, sending the body 64 KB at a time every `everyMs` (with its length declared, as the client does). */
function pacedFetch(everyMs: number): typeof fetch {
  return (input, init) => {
    const bytes = Buffer.from(String(init?.body ?? ""));
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (at >= bytes.length) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        controller.enqueue(bytes.subarray(at, at + 65_536));
        at += 65_536;
      },
    });
    const headers = new Headers(init?.headers);
    headers.set("content-length", String(bytes.length));
    return fetch(input, { ...init, headers, body, duplex: "half" } as RequestInit);
  };
}

describe.each([
  ["at loopback speed", fetch, 10],
  ["paced like an upload over a network (~2 MB/s)", pacedFetch(30), 20],
])("a 6 MB prompt on /api/v1/chat/completions, %s", (_label, transport, attempts) => {
  it.each([
    ["maxRetries 0", 0],
    ["the default retries", undefined],
  ])(
    "the official client sees the 413 every time, at the first request (%s)",
    async (_retries, maxRetries) => {
      expect(sixMegabytes.length).toBeGreaterThan(6_000_000);
      // Counts the client's HTTP requests: a retry would mean an answer was lost to a connection error.
      let requests = 0;
      const counting: typeof fetch = (input, init) => {
        requests++;
        return transport(input, init);
      };
      const client = new OpenAI({ baseURL, apiKey: key, fetch: counting, ...(maxRetries === undefined ? {} : { maxRetries }) });
      for (let i = 0; i < attempts; i++) {
        const sent = requests;
        let error: unknown = null;
        try {
          await client.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: sixMegabytes }] });
        } catch (caught) {
          error = caught;
        }
        expect(error, `attempt ${i + 1}: ${String(error)}`).toBeInstanceOf(OpenAI.APIError);
        expect((error as InstanceType<typeof OpenAI.APIError>).status, `attempt ${i + 1}: ${String(error)}`).toBe(413);
        expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: "invalid_request_error", code: "request_too_large" });
        expect(requests - sent, `attempt ${i + 1}: requests sent for one call`).toBe(1);
      }
      expect(await eventsOf(tenantId)).toHaveLength(0);
    },
    60_000,
  );
});
