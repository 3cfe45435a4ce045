// Caches are per tenant: tenant B never receives tenant A's answer, exact or semantic.
import { describe, expect, it } from "vitest";
import { semanticScopeKey } from "./cache";
import { baseGatewayConfig } from "./config";
import { createTenant } from "@/test/fixtures";
import { eventsOf, generationRequests, newGateway, testConfig, startFakeProvidersForFile, userPrompt } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();

describe("exact cache", () => {
  it("answers a repeated request from the cache, meters the hit with the cost it saved", async () => {
    const tenant = await createTenant("Exact");
    servers.openai.setDefault({ kind: "text", text: "cached answer", usage: { input: 1000, output: 500 } });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const ctx = { tenantId: tenant.tenantId, feature: "api" };
    const first = await gateway.generate(ctx, { role: "chat", prompt: userPrompt("What is Keel?") });
    await gateway.flush();
    const second = await gateway.generate(ctx, { role: "chat", prompt: userPrompt("  What is   Keel? ") });
    expect(first).toMatchObject({ cacheStatus: "miss", text: "cached answer" });
    expect(second).toMatchObject({ cacheStatus: "exact", text: "cached answer", costMicroUsd: 0 });
    expect(generationRequests(servers.openai)).toHaveLength(1);
    await gateway.flush();
    const events = await eventsOf(tenant.tenantId);
    const hit = events.find((e) => e.cacheStatus === "exact");
    // gpt-4.1-mini: 1000 × 0.4 + 500 × 1.6 micro-USD
    expect(hit).toMatchObject({ provider: "cache", costMicroUsd: 0, savedMicroUsd: 1200, inputTokens: 0, outputTokens: 0 });
  });

  it("never serves tenant A's cached answer to tenant B", async () => {
    const a = await createTenant("Cache A");
    const b = await createTenant("Cache B");
    servers.openai.script({ kind: "text", text: "secret of A" }, { kind: "text", text: "answer for B" });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    await gateway.generate({ tenantId: a.tenantId, feature: "api" }, { role: "chat", prompt: userPrompt("shared question") });
    await gateway.flush();
    const forB = await gateway.generate({ tenantId: b.tenantId, feature: "api" }, { role: "chat", prompt: userPrompt("shared question") });
    expect(forB).toMatchObject({ cacheStatus: "miss", text: "answer for B" });
  });

  it("expires entries after their TTL", async () => {
    const tenant = await createTenant("TTL");
    servers.openai.script({ kind: "text", text: "first" }, { kind: "text", text: "second" });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const ctx = { tenantId: tenant.tenantId, feature: "api", cache: { ttlSeconds: 1 } };
    await gateway.generate(ctx, { role: "chat", prompt: userPrompt("ttl?") });
    await gateway.flush();
    expect((await gateway.generate(ctx, { role: "chat", prompt: userPrompt("ttl?") })).cacheStatus).toBe("exact");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await gateway.generate(ctx, { role: "chat", prompt: userPrompt("ttl?") })).toMatchObject({ cacheStatus: "miss", text: "second" });
  });

  it("honours no-store and no-cache", async () => {
    const tenant = await createTenant("No-store");
    servers.openai.script({ kind: "text", text: "one" }, { kind: "text", text: "two" }, { kind: "text", text: "three" });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const ask = (cache: { noCache?: boolean; noStore?: boolean }) =>
      gateway.generate({ tenantId: tenant.tenantId, feature: "api", cache }, { role: "chat", prompt: userPrompt("same") });
    expect((await ask({ noStore: true })).text).toBe("one");
    await gateway.flush();
    expect(await ask({})).toMatchObject({ cacheStatus: "miss", text: "two" }); // nothing was stored
    await gateway.flush();
    expect(await ask({ noCache: true })).toMatchObject({ cacheStatus: "bypass", text: "three" }); // stored, but not read
    expect(generationRequests(servers.openai)).toHaveLength(3);
  });

  it("keys answers built on private context by the retrieved chunk ids, and never caches unidentified context", async () => {
    const tenant = await createTenant("Chunks");
    servers.openai.setDefault({ kind: "text", text: "grounded" });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const ask = (contextChunkIds: string[] | null) =>
      gateway.generate({ tenantId: tenant.tenantId, feature: "chat", contextChunkIds }, { role: "chat", prompt: userPrompt("question", "context: …") });
    await ask(["c1", "c2"]);
    await gateway.flush();
    expect((await ask(["c2", "c1"])).cacheStatus).toBe("exact");
    expect((await ask(["c3"])).cacheStatus).toBe("miss");
    await gateway.flush();
    expect((await ask(null)).cacheStatus).toBe("bypass");
    await gateway.flush();
    expect((await ask(null)).cacheStatus).toBe("bypass");
  });
});

describe("semantic cache", () => {
  // The offline embedding model gives similar questions similar vectors, with no network.
  const offline = () => newGateway({ ...baseGatewayConfig, profileTtlMs: 0, cache: { ttlSeconds: 3600, semanticThresholds: { chat: 0.75 } } });
  const system = "Refunds: annual plans can be refunded within 30 days of purchase. Monthly plans are not refundable.";

  it("answers a similar question from the cache, for the same tenant only", async () => {
    const a = await createTenant("Semantic A");
    const b = await createTenant("Semantic B");
    const gateway = offline();
    const first = await gateway.generate(
      { tenantId: a.tenantId, feature: "chat" },
      { role: "chat", prompt: userPrompt("What is the refund policy for annual plans?", system) },
    );
    await gateway.flush();
    const similar = await gateway.generate(
      { tenantId: a.tenantId, feature: "chat" },
      { role: "chat", prompt: userPrompt("what is the refund policy for an annual plan", system) },
    );
    expect(similar).toMatchObject({ cacheStatus: "semantic", text: first.text });
    const other = await gateway.generate(
      { tenantId: a.tenantId, feature: "chat" },
      { role: "chat", prompt: userPrompt("Are monthly plans refundable?", system) },
    );
    expect(other.cacheStatus).toBe("miss");
    const forB = await gateway.generate(
      { tenantId: b.tenantId, feature: "chat" },
      { role: "chat", prompt: userPrompt("what is the refund policy for an annual plan", system) },
    );
    expect(forB.cacheStatus).toBe("miss");
    await gateway.flush();
    const events = await eventsOf(a.tenantId);
    expect(events.filter((e) => e.feature === "semantic-cache")).toHaveLength(3); // each lookup embedding is a metered call
    expect(events.find((e) => e.cacheStatus === "semantic")).toMatchObject({ provider: "cache" });
  });

  it("does not match across a different system prompt", async () => {
    const tenant = await createTenant("Semantic scope");
    const gateway = offline();
    await gateway.generate(
      { tenantId: tenant.tenantId, feature: "chat" },
      { role: "chat", prompt: userPrompt("What is the refund policy for annual plans?", system) },
    );
    await gateway.flush();
    const other = await gateway.generate(
      { tenantId: tenant.tenantId, feature: "chat" },
      { role: "chat", prompt: userPrompt("What is the refund policy for annual plans?", "Another document entirely.") },
    );
    expect(other.cacheStatus).toBe("miss");
  });

  it("keys the scope by the embedding model, so vectors of a previous model never match after a change", () => {
    const input = {
      role: "chat" as const,
      target: { provider: "openai" as const, model: "gpt-4o-mini" },
      promptVersion: "v1",
      params: { temperature: 0 },
      contextChunkIds: undefined,
      system: "Answer from the handbook.",
    };
    const before = semanticScopeKey({ ...input, embeddingModel: "openai:text-embedding-3-small" });
    expect(semanticScopeKey({ ...input, embeddingModel: "openai:text-embedding-3-small" })).toBe(before);
    expect(semanticScopeKey({ ...input, embeddingModel: "openai:text-embedding-3-large" })).not.toBe(before);
  });
});
