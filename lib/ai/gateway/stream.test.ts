// The gateway's stream speaks the AI SDK's own stream parts: the provider's parts are handed on as
// they are, a cached answer is replayed in the same parts, and each ends with the gateway's finish
// part, which carries the answer as billed (the usage event's tokens and cost).
import type { LanguageModelV3StreamPart } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { readKeelMetadata } from "@/lib/ai";
import { createTenant } from "@/test/fixtures";
import { drain, eventsOf, newGateway, startFakeProvidersForFile, testConfig, userPrompt } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();

const textOf = (parts: LanguageModelV3StreamPart[]) => parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("");
/** The part types with the text deltas collapsed: the stream's shape. */
const shapeOf = (parts: LanguageModelV3StreamPart[]) => parts.map((p) => p.type).filter((type, i, all) => type !== "text-delta" || all[i - 1] !== "text-delta");

describe("the gateway's stream", () => {
  it("hands on the provider's text parts, then its own finish with the answer as billed", async () => {
    const tenant = await createTenant("Stream parts");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    servers.openai.script({ kind: "text", text: "one two three", usage: { input: 20, output: 3 } });
    const stream = await gateway.stream({ tenantId: tenant.tenantId, feature: "chat" }, { role: "chat", prompt: userPrompt("count") });
    const parts = await drain(stream.parts);

    expect(shapeOf(parts)).toEqual(["text-start", "text-delta", "text-end", "finish"]);
    expect(textOf(parts)).toBe("one two three");
    const ids = new Set(parts.flatMap((p) => (p.type === "text-start" || p.type === "text-delta" || p.type === "text-end" ? [p.id] : [])));
    expect(ids.size).toBe(1); // the provider's own block id, on every part of the block
    const finish = parts.at(-1);
    if (finish?.type !== "finish") throw new Error("expected a finish part");
    expect(finish.usage.inputTokens.total).toBe(20);
    expect(finish.usage.outputTokens.total).toBe(3);
    expect(finish.finishReason.unified).toBe("stop");
    const answer = readKeelMetadata(finish.providerMetadata);
    expect(answer).toMatchObject({ requestId: stream.requestId, provider: "openai", cacheStatus: "miss", inputTokens: 20, outputTokens: 3 });

    await gateway.flush();
    const [event] = await eventsOf(tenant.tenantId);
    expect(event).toMatchObject({ requestId: stream.requestId, inputTokens: 20, outputTokens: 3, costMicroUsd: answer!.costMicroUsd });
  });

  it("replays a cached answer in the same parts, its finish billed at nothing", async () => {
    const tenant = await createTenant("Stream replay");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    servers.openai.setDefault({ kind: "text", text: "cached words here", usage: { input: 10, output: 3 } });
    const ctx = { tenantId: tenant.tenantId, feature: "chat" };
    await drain((await gateway.stream(ctx, { role: "chat", prompt: userPrompt("again") })).parts);
    await gateway.flush();

    const replay = await gateway.stream(ctx, { role: "chat", prompt: userPrompt("again") });
    expect(replay.cacheStatus).toBe("exact");
    const parts = await drain(replay.parts);
    expect(shapeOf(parts)).toEqual(["text-start", "text-delta", "text-end", "finish"]);
    expect(textOf(parts)).toBe("cached words here");
    const finish = parts.at(-1);
    if (finish?.type !== "finish") throw new Error("expected a finish part");
    expect(readKeelMetadata(finish.providerMetadata)).toMatchObject({ cacheHit: true, inputTokens: 0, outputTokens: 0, costMicroUsd: 0 });
  });
});
