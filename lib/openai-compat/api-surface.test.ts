// The /api/v1 surface as an attacker meets it, through the very route modules both servers run:
// the key is checked before the body is read, bodies are capped as they arrive, unknown paths and
// odd model names get OpenAI-shaped 404s, and a provider's own error text never reaches a tenant.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as chatRoute } from "@/app/api/v1/chat/completions/route";
import { POST as embeddingsRoute } from "@/app/api/v1/embeddings/route";
import { GET as unknownGet, POST as unknownPost } from "@/app/api/v1/[...path]/route";
import { createApiKey } from "@/lib/auth/api-keys";
import { createTenant } from "@/test/fixtures";
import { startFakeProvidersForFile } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();
let key: string;

const gatewayEnv = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "GOOGLE_GENERATIVE_AI_API_KEY", "GOOGLE_GENERATIVE_AI_BASE_URL", "KEEL_MAX_RETRIES"] as const;
const savedEnv = Object.fromEntries(gatewayEnv.map((name) => [name, process.env[name]]));
const resetGateway = () => (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");

beforeAll(async () => {
  process.env.OPENAI_API_KEY = "test";
  process.env.OPENAI_BASE_URL = servers.openai.url;
  process.env.GOOGLE_GENERATIVE_AI_API_KEY = "test";
  process.env.GOOGLE_GENERATIVE_AI_BASE_URL = servers.gemini.url;
  process.env.KEEL_MAX_RETRIES = "0";
  resetGateway();
  ({ key } = await createApiKey(await createTenant("API surface"), "surface"));
});
afterAll(() => {
  for (const name of gatewayEnv) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  resetGateway();
});

/** A request body that records whether anyone read it. */
function watchedBody(text: string) {
  const watch = { read: false };
  // highWaterMark 0: the stream pulls only when someone reads, not to fill its queue up front.
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        watch.read = true;
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { body, watch };
}

const post = (route: (r: Request) => Promise<Response>, body: BodyInit, headers: Record<string, string> = {}) =>
  route(
    new Request("http://keel.test/api/v1/x", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      duplex: "half",
    } as RequestInit),
  );

describe("/api/v1", () => {
  it("refuses a missing or wrong key without reading the body", async () => {
    for (const headers of [{}, { authorization: "Bearer keel_not-a-real-key" }] as Record<string, string>[]) {
      const { body, watch } = watchedBody(JSON.stringify({ model: "keel-chat", messages: [{ role: "user", content: "hi" }] }));
      const response = await post(chatRoute, body, headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: "invalid_api_key" } });
      expect(watch.read).toBe(false);
    }
  });

  it("caps the body in bytes as it arrives, with a 413", async () => {
    const huge = JSON.stringify({ model: "keel-chat", messages: [{ role: "user", content: "x".repeat(3_000_000) }] });
    const response = await post(chatRoute, huge, { authorization: `Bearer ${key}` });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: "request_too_large" } });
  });

  it("answers unknown paths with an OpenAI-shaped JSON 404", async () => {
    for (const route of [unknownGet, unknownPost]) {
      const response = await route(new Request("http://keel.test/api/v1/assistants"));
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      expect(await response.json()).toMatchObject({ error: { type: "invalid_request_error", code: "unknown_url" } });
    }
  });

  it("treats model names like constructor and __proto__ as unknown models, not as errors", async () => {
    for (const model of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const chat = await post(chatRoute, JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }), { authorization: `Bearer ${key}` });
      expect(chat.status).toBe(404);
      expect(await chat.json()).toMatchObject({ error: { code: "model_not_found" } });
      const embeddings = await post(embeddingsRoute, JSON.stringify({ model, input: "hi" }), { authorization: `Bearer ${key}` });
      expect(embeddings.status).toBe(404);
      expect(await embeddings.json()).toMatchObject({ error: { code: "model_not_found" } });
    }
  });

  it("never passes a provider's own error text to the tenant", async () => {
    const secret = "org-7731 at https://internal.openai.example/v1 rejected: quota project abc";
    servers.openai.setDefault({ kind: "status", status: 400, message: secret });
    const response = await post(chatRoute, JSON.stringify({ model: "keel-chat", messages: [{ role: "user", content: "hello" }] }), {
      authorization: `Bearer ${key}`,
      "x-keel-cache": "no-cache, no-store",
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toContain("org-7731");
    expect(text).not.toContain("internal.openai.example");
    expect(JSON.parse(text)).toMatchObject({ error: { code: "invalid_request" } });
  });
});
