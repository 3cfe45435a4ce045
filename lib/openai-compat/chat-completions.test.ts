// The /v1 chat handler over real fakes: OpenAI response and error shapes, SSE framing, and the
// mid-stream error event the official client raises as an APIError.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, authenticateApiKey, type ApiKeyPrincipal } from "@/lib/auth/api-keys";
import { createTenant } from "@/test/fixtures";
import { startFakeProvidersForFile } from "@/test/gateway-harness";
import { handleChatCompletion } from "./chat-completions";

const servers = startFakeProvidersForFile();
let principal: ApiKeyPrincipal;

const gatewayEnv = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "GOOGLE_GENERATIVE_AI_API_KEY", "GOOGLE_GENERATIVE_AI_BASE_URL", "KEEL_MAX_RETRIES"] as const;
const savedEnv = Object.fromEntries(gatewayEnv.map((name) => [name, process.env[name]]));

afterAll(() => {
  for (const name of gatewayEnv) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");
});

beforeAll(async () => {
  // The handler uses the process-wide gateway, configured from the environment: point it at the fakes.
  process.env.OPENAI_API_KEY = "test";
  process.env.OPENAI_BASE_URL = servers.openai.url;
  process.env.GOOGLE_GENERATIVE_AI_API_KEY = "test";
  process.env.GOOGLE_GENERATIVE_AI_BASE_URL = servers.gemini.url;
  process.env.KEEL_MAX_RETRIES = "0";
  (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");
  const owner = await createTenant("Handler");
  const { key } = await createApiKey(owner, "test");
  principal = (await authenticateApiKey(key))!;
});

const call = (body: unknown, headers: Record<string, string> = {}) =>
  handleChatCompletion(
    new Request("http://keel.test/api/v1/chat/completions", { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) }),
    principal,
  );

const messages = [{ role: "user", content: "Hello there" }];

describe("POST /v1/chat/completions", () => {
  it("answers in OpenAI's shape with Keel's headers", async () => {
    servers.openai.script({ kind: "text", text: "Hi!", usage: { input: 3, output: 1 } });
    const response = await call({ model: "keel-chat", messages }, { "x-keel-cache": "no-store" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-keel-provider")).toBe("openai");
    expect(response.headers.get("x-keel-offline")).toBe("false");
    expect(await response.json()).toMatchObject({
      object: "chat.completion",
      model: "gpt-4.1-mini",
      choices: [{ index: 0, message: { role: "assistant", content: "Hi!" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    });
  });

  it("maps failures to OpenAI errors with the right status", async () => {
    expect((await call("{not json")).status).toBe(400);
    const invalid = await call({ model: "keel-chat", messages: [] });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { type: "invalid_request_error", param: "messages" } });
    const functions = await call({ model: "keel-chat", messages, functions: [{ name: "f" }] });
    expect(await functions.json()).toMatchObject({ error: { code: "unsupported_parameter", param: "functions" } });

    servers.openai.setDefault({ kind: "status", status: 503 });
    servers.gemini.setDefault({ kind: "status", status: 500 });
    const down = await call({ model: "keel-chat", messages: [{ role: "user", content: "anyone?" }] });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { type: "server_error", code: "providers_unavailable" } });
  });

  it("streams OpenAI chunks, and ends a broken stream with an error event instead of [DONE]", async () => {
    servers.openai.script({ kind: "text", text: "one two three", usage: { input: 2, output: 3 } });
    const ok = await call({ model: "keel-chat", messages: [{ role: "user", content: "count" }], stream: true, stream_options: { include_usage: true } });
    expect(ok.headers.get("content-type")).toMatch(/text\/event-stream/);
    const frames = (await ok.text()).split("\n\n").filter(Boolean);
    expect(frames.at(-1)).toBe("data: [DONE]");
    const chunks = frames.slice(0, -1).map(
      (f) =>
        JSON.parse(f.slice("data: ".length)) as {
          choices: { delta: { content?: string }; finish_reason: string | null }[];
          usage?: { completion_tokens: number };
        },
    );
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("one two three");
    expect(chunks.find((c) => c.choices[0]?.finish_reason === "stop")).toBeDefined();
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });

    servers.openai.script({ kind: "drop", text: "half an answer", afterChunks: 2 });
    const broken = await call({ model: "keel-chat", messages: [{ role: "user", content: "again" }], stream: true });
    const brokenFrames = (await broken.text()).split("\n\n").filter(Boolean);
    expect(brokenFrames).not.toContain("data: [DONE]");
    expect(JSON.parse(brokenFrames.at(-1)!.slice("data: ".length))).toMatchObject({ error: { code: "stream_interrupted", type: "server_error" } });
  });
});
