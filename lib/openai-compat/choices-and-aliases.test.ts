// `n > 1` and model aliases on /api/v1 with the official `openai` client over a real socket:
// indexed choices, streamed and not, metered as the n calls they are; names such as gpt-4o-mini
// mapped to Keel's roles by KEEL_MODEL_ALIASES and listed by /v1/models.
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { getGateway } from "@/lib/ai";
import { createApiKey } from "@/lib/auth/api-keys";
import { createTenant } from "@/test/fixtures";
import { startApiServerForFile } from "@/test/api-server";
import { eventsOf, generationRequests, startFakeProvidersForFile } from "@/test/gateway-harness";
import { modelAliases } from "./model-aliases";

const servers = startFakeProvidersForFile();
const api = startApiServerForFile(servers, {
  env: { KEEL_MODEL_ALIASES: JSON.stringify({ "gpt-4o-mini": "chat", "GPT-4o": "keel-analysis", "text-embedding-3-small": "embedding" }) },
});
let client: OpenAI;
let tenantId: string;

beforeAll(async () => {
  const owner = await createTenant("Choices");
  tenantId = owner.tenantId;
  const { key } = await createApiKey(owner, "choices");
  client = new OpenAI({ baseURL: api.baseURL, apiKey: key, maxRetries: 0 });
});

const question: OpenAI.ChatCompletionMessageParam = { role: "user", content: "Name a colour." };

describe("n > 1", () => {
  it("answers n choices indexed 0..n-1, each a call of its own, never from the cache, metered as n calls", async () => {
    servers.openai.script(
      { kind: "text", text: "Red.", usage: { input: 5, output: 2 } },
      { kind: "text", text: "Green.", usage: { input: 5, output: 2 } },
      { kind: "text", text: "Blue.", usage: { input: 5, output: 3 } },
    );
    const before = (await eventsOf(tenantId)).length;
    const { data, response } = await client.chat.completions.create({ model: "keel-chat", messages: [question], n: 3 }).withResponse();
    expect(data.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(data.choices.map((c) => c.message.content).sort()).toEqual(["Blue.", "Green.", "Red."]);
    expect(data.choices.every((c) => c.finish_reason === "stop")).toBe(true);
    // What it cost: three prompts and three answers.
    expect(data.usage).toEqual({ prompt_tokens: 15, completion_tokens: 7, total_tokens: 22 });
    expect(generationRequests(servers.openai)).toHaveLength(3);
    expect(response.headers.get("x-keel-call-id")!.split(", ")).toHaveLength(3);
    // One request against the rate limits.
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe(String(Number(response.headers.get("x-ratelimit-limit-requests")) - 1));

    await getGateway().flush();
    const events = (await eventsOf(tenantId)).slice(before);
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.inputTokens + e.outputTokens).sort()).toEqual([7, 7, 8]);
    expect(events.every((e) => e.cacheStatus === "bypass")).toBe(true);

    // Asked again: fresh samples, not a replay.
    servers.openai.setDefault({ kind: "text", text: "Again.", usage: { input: 5, output: 2 } });
    await client.chat.completions.create({ model: "keel-chat", messages: [question], n: 2 });
    expect(generationRequests(servers.openai)).toHaveLength(5);
  });

  it("streams the choices interleaved, each chunk with its index, then their usage together", async () => {
    servers.openai.script(
      { kind: "text", text: "one two three", usage: { input: 4, output: 3 }, chunkDelayMs: 5 },
      { kind: "text", text: "uno dos", usage: { input: 4, output: 2 }, chunkDelayMs: 5 },
    );
    const stream = await client.chat.completions.create({
      model: "keel-chat",
      messages: [question],
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ["", ""];
    const finishes: Array<string | null> = [null, null];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? "";
        if (choice.finish_reason) finishes[choice.index] = choice.finish_reason;
      }
    }
    expect(texts.sort()).toEqual(["one two three", "uno dos"]);
    expect(finishes).toEqual(["stop", "stop"]);
    expect(usage).toEqual({ prompt_tokens: 8, completion_tokens: 5, total_tokens: 13 });

    // The client's own accumulator builds both choices from the same events.
    servers.openai.script({ kind: "text", text: "alpha" }, { kind: "text", text: "beta" });
    const final = await client.chat.completions.stream({ model: "keel-chat", messages: [question], n: 2 }).finalChatCompletion();
    expect(final.choices.map((c) => c.message.content).sort()).toEqual(["alpha", "beta"]);
  });

  it("refuses more than 8 choices before calling anyone", async () => {
    const before = generationRequests(servers.openai).length;
    await expect(client.chat.completions.create({ model: "keel-chat", messages: [question], n: 9 })).rejects.toMatchObject({ status: 400, param: "n" });
    expect(generationRequests(servers.openai)).toHaveLength(before);
  });

  it("fails as a whole when a choice fails", async () => {
    servers.openai.script({ kind: "text", text: "fine" }, { kind: "status", status: 400, message: "bad" });
    await expect(client.chat.completions.create({ model: "keel-chat", messages: [question], n: 2 })).rejects.toMatchObject({ status: 400 });
  });
});

describe("model aliases (KEEL_MODEL_ALIASES)", () => {
  it("let an off-the-shelf client ask for gpt-4o-mini, gpt-4o and text-embedding-3-small", async () => {
    servers.openai.setDefault({ kind: "text", text: "Hello!", usage: { input: 3, output: 1 } });
    const chat = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [question] });
    expect(chat.choices[0]!.message.content).toBe("Hello!");
    const analysis = await client.chat.completions.create({ model: "gpt-4o", messages: [question] });
    expect(analysis.choices[0]!.message.content).toBe("Hello!");
    const embedded = await client.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
    expect(embedded.data).toHaveLength(2);
    // An alias of a language role is not an embedding model, and unknown names stay unknown.
    await expect(client.embeddings.create({ model: "gpt-4o-mini", input: "a" })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    await expect(client.chat.completions.create({ model: "gpt-5", messages: [question] })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("are listed by /v1/models beside the roles, with the role and chain each stands for", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    const byId = new Map(models.map((m) => [m.id, m as OpenAI.Model & { keel_role?: string; keel_chain: string[] }]));
    expect([...byId.keys()]).toEqual([
      "keel-chat",
      "keel-rag",
      "keel-analysis",
      "keel-title",
      "keel-embedding",
      "gpt-4o-mini",
      "gpt-4o",
      "text-embedding-3-small",
    ]);
    expect(byId.get("gpt-4o-mini")).toMatchObject({ object: "model", keel_role: "keel-chat", keel_chain: byId.get("keel-chat")!.keel_chain });
    expect(byId.get("text-embedding-3-small")).toMatchObject({ keel_role: "keel-embedding" });
  });

  it("refuse a malformed setting loudly, and never resolve an object's own members", () => {
    const env = (value: string) => ({ KEEL_MODEL_ALIASES: value });
    expect(() => modelAliases(env("{not json"))).toThrow(/must be JSON/);
    expect(() => modelAliases(env('{"gpt-4o": "gpt-4.1"}'))).toThrow(/must name a Keel role/);
    const aliases = modelAliases(env('{"__proto__": "chat", "Mini": "title"}'));
    expect([...aliases]).toEqual([["mini", "title"]]);
    expect(aliases.get("constructor")).toBeUndefined();
  });
});
