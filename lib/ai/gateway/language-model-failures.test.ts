// keelModel when things go wrong or repeat: a failing provider falls back (and the metadata says
// so), a quota refusal surfaces as the gateway's error without calling anyone, a stopped stream
// bills what was delivered, a broken stream reports what was delivered, and the cache keys on tools.
import { generateText, streamText, tool, type TextStreamPart, type ToolSet } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { keelModel, readKeelMetadata } from "@/lib/ai";
import { countTokens } from "@/lib/ai/tokens";
import { createTenant } from "@/test/fixtures";
import { eventsOf, generationRequests, newGateway, quotaRow, setLimits, startFakeProvidersForFile, testConfig } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();

async function setup(options: { cache?: boolean } = {}) {
  const tenant = await createTenant("Keel model failures");
  const gateway = newGateway(testConfig(servers.openai, servers.gemini), { sleep: async () => {}, random: () => 0.5 });
  const ctx = { tenantId: tenant.tenantId, userId: tenant.userId, feature: "chat", cache: options.cache ? undefined : { noCache: true, noStore: true } };
  return { tenant, gateway, ctx, model: keelModel(ctx, "chat", gateway) };
}

const lookup = tool({ description: "Look a word up", inputSchema: z.object({ word: z.string() }) });
const translate = tool({ description: "Translate a word", inputSchema: z.object({ word: z.string(), to: z.string() }) });

describe("keelModel failures", () => {
  it("falls back from a failing provider, and says so in the metadata and the usage row", async () => {
    const { tenant, gateway, model } = await setup();
    servers.openai.setDefault({ kind: "status", status: 503 });
    servers.gemini.script({ kind: "text", text: "Gemini answered." }, { kind: "text", text: "Gemini streamed." });
    const whole = await generateText({ model, prompt: "Who answers?" });
    expect(whole.text).toBe("Gemini answered.");
    expect(readKeelMetadata(whole.providerMetadata)).toMatchObject({ provider: "google", model: "gemini-2.5-flash-lite", fallback: true, fallbackCount: 1 });

    const streamed = streamText({ model, prompt: "And streaming?" });
    expect(await streamed.text).toBe("Gemini streamed.");
    expect(readKeelMetadata(await streamed.providerMetadata)).toMatchObject({ provider: "google", fallback: true });
    await gateway.flush();
    const events = await eventsOf(tenant.tenantId);
    expect(events.map((e) => [e.provider, e.fallbackCount, e.status])).toEqual([
      ["google", 1, "ok"],
      ["google", 1, "ok"],
    ]);
  });

  it("surfaces a quota refusal as the gateway's error, with its reset time, and calls no provider", async () => {
    const { tenant, model } = await setup();
    await setLimits(tenant, { monthlyTokenLimit: 5 });
    const refusal = { code: "quota_exceeded", status: 402, quota: { limit: "tokens", resetsAt: expect.any(String) } };
    await expect(generateText({ model, prompt: "A question that does not fit in five tokens of quota" })).rejects.toMatchObject(refusal);

    const errors: unknown[] = [];
    const streamed = streamText({ model, prompt: "Nor does this one", onError: ({ error }) => void errors.push(error) });
    await expect(streamed.text).rejects.toThrow();
    expect(errors).toEqual([expect.objectContaining(refusal)]);
    expect(generationRequests(servers.openai)).toHaveLength(0);
  });

  it("stops the provider when the caller aborts mid-stream, and bills only what was delivered", async () => {
    const { tenant, gateway, model } = await setup();
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
    servers.openai.script({ kind: "text", text: words, chunkDelayMs: 30 });
    const abort = new AbortController();
    let aborted = false;
    const result = streamText({ model, prompt: "Count slowly", abortSignal: abort.signal, onAbort: () => void (aborted = true) });
    let delivered = "";
    const parts: TextStreamPart<ToolSet>["type"][] = [];
    for await (const part of result.fullStream) {
      parts.push(part.type);
      if (part.type === "text-delta") delivered += part.text;
      if (delivered.split(" ").length > 3 && !abort.signal.aborted) abort.abort();
    }
    expect(aborted).toBe(true);
    expect(parts.at(-1)).toBe("abort");
    expect(delivered.length).toBeLessThan(words.length / 2);
    await gateway.flush();
    const [event] = await eventsOf(tenant.tenantId);
    expect(event).toMatchObject({ status: "partial", errorCode: "client_cancelled", provider: "openai" });
    // Billed for what had reached Keel when the caller stopped: what the caller read, plus at most
    // the few chunks the SDK's stream buffers had read ahead; far from the whole answer.
    expect(event!.outputTokens).toBeGreaterThanOrEqual(countTokens(delivered));
    expect(event!.outputTokens).toBeLessThanOrEqual(countTokens(delivered) + 5);
    expect(event!.outputTokens).toBeLessThan(countTokens(words) / 2);
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ reservedTokens: 0, usedTokens: event!.inputTokens + event!.outputTokens });
  });

  it("reports a stream that breaks after its first tokens as an error, with what was delivered in the metadata", async () => {
    const { tenant, gateway, model } = await setup();
    servers.openai.script({ kind: "drop", text: "one two three four five", afterChunks: 2 });
    const errors: unknown[] = [];
    const result = streamText({ model, prompt: "Say five words", onError: ({ error }) => void errors.push(error) });
    let text = "";
    for await (const part of result.fullStream) if (part.type === "text-delta") text += part.text;
    expect(text).toBe("one two ");
    expect(errors).toEqual([expect.objectContaining({ code: "stream_interrupted" })]);
    expect(await result.finishReason).toBe("error");
    expect(readKeelMetadata(await result.providerMetadata)).toMatchObject({ provider: "openai", outputTokens: countTokens("one two "), finishReason: "error" });
    await gateway.flush();
    expect(await eventsOf(tenant.tenantId)).toMatchObject([{ status: "partial", errorCode: "stream_interrupted" }]);
  });
});

describe("keelModel and the cache", () => {
  it("replays a text answer given with the same tools, asks again with other tools, and never replays a tool call", async () => {
    const { tenant, gateway, model } = await setup({ cache: true });
    servers.openai.setDefault({ kind: "text", text: "No tool needed." });
    const ask = (tools: ToolSet) => generateText({ model, prompt: "Define 'keel'.", tools });

    const first = await ask({ lookup });
    await gateway.flush(); // cache entries are written with the usage batch, off the response path
    const again = await ask({ lookup });
    expect(again.text).toBe("No tool needed.");
    expect(readKeelMetadata(first.providerMetadata)).toMatchObject({ cacheHit: false, cacheStatus: "miss" });
    expect(readKeelMetadata(again.providerMetadata)).toMatchObject({
      cacheHit: true,
      cacheStatus: "exact",
      provider: "openai",
      inputTokens: 0,
      costMicroUsd: 0,
    });
    expect(generationRequests(servers.openai)).toHaveLength(1);

    await ask({ lookup, translate });
    await gateway.flush();
    expect(generationRequests(servers.openai)).toHaveLength(2);

    servers.openai.setDefault({ kind: "tool-calls", calls: [{ name: "lookup", arguments: { word: "keel" } }] });
    const question = () => generateText({ model, prompt: "Look up 'keel'.", tools: { lookup } });
    expect((await question()).toolCalls).toHaveLength(1);
    await gateway.flush();
    expect((await question()).toolCalls).toHaveLength(1);
    expect(generationRequests(servers.openai)).toHaveLength(4);

    await gateway.flush();
    expect((await eventsOf(tenant.tenantId)).map((e) => e.cacheStatus).sort()).toEqual(["exact", "miss", "miss", "miss", "miss"]);
  });
});
