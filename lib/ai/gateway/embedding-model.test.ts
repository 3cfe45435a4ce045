// keelEmbeddingModel with the SDK's own embed and embedMany, through the real provider client to a
// scripted server: one metered call per SDK call (the gateway splits by the provider's limit), the
// vectors as the provider made them, and the model that made them in providerMetadata.keel.
import { embed, embedMany } from "ai";
import { describe, expect, it } from "vitest";
import { keelEmbeddingModel, readKeelEmbedding } from "@/lib/ai";
import { createTenant } from "@/test/fixtures";
import { eventsOf, newGateway, setLimits, startFakeProvidersForFile, testConfig } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();
const embeddingRequests = () => servers.openai.requests.filter((r) => /embeddings/.test(r.path));

describe("keelEmbeddingModel", () => {
  it("embedMany sends every value in one metered call and says which model made the vectors", async () => {
    const tenant = await createTenant("Embedding model");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const model = keelEmbeddingModel({ tenantId: tenant.tenantId, feature: "retrieval", requestId: "embed-many" }, gateway);
    const { embeddings, usage, providerMetadata } = await embedMany({ model, values: ["alpha", "beta gamma", "alpha"] });

    const [target] = await gateway.chainFor(tenant.tenantId, "embedding");
    expect(readKeelEmbedding(providerMetadata)).toEqual({ requestId: "embed-many", provider: "openai", model: target!.model, offline: false });
    expect(embeddings).toHaveLength(3);
    expect(embeddings[0]).toHaveLength(gateway.config.embeddingDimensions);
    expect(embeddings[0]).toEqual(embeddings[2]);
    expect(embeddings[0]).not.toEqual(embeddings[1]);
    expect(embeddingRequests()).toHaveLength(1);

    await gateway.flush();
    const events = await eventsOf(tenant.tenantId);
    expect(events.map((e) => ({ requestId: e.requestId, feature: e.feature, inputTokens: e.inputTokens }))).toEqual([
      { requestId: "embed-many", feature: "retrieval", inputTokens: usage.tokens },
    ]);
    expect(usage.tokens).toBeGreaterThan(0);
  });

  it("meters each further call on the same model under its own id", async () => {
    const tenant = await createTenant("Embedding ids");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const model = keelEmbeddingModel({ tenantId: tenant.tenantId, feature: "retrieval", requestId: "query" }, gateway);
    const first = await embed({ model, value: "first question" });
    const second = await embed({ model, value: "second question" });
    expect([readKeelEmbedding(first.providerMetadata).requestId, readKeelEmbedding(second.providerMetadata).requestId]).toEqual(["query", "query:1"]);
    await gateway.flush();
    expect((await eventsOf(tenant.tenantId)).map((e) => e.requestId).sort()).toEqual(["query", "query:1"]);
  });

  it("refuses what the gateway refuses: past the hard limit there is the quota error, and no provider call", async () => {
    const tenant = await createTenant("Embedding quota");
    await setLimits(tenant, { monthlyTokenLimit: 1 });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const model = keelEmbeddingModel({ tenantId: tenant.tenantId, feature: "retrieval" }, gateway);
    await expect(embed({ model, value: "a question longer than one token" })).rejects.toMatchObject({ code: "quota_exceeded", status: 402 });
    expect(embeddingRequests()).toHaveLength(0);
  });
});
