import { cosineSimilarity, embed, embedMany } from "ai";
import { describe, expect, it } from "vitest";
import { countTokens } from "../tokens";
import { embedTextOffline, OfflineEmbeddingModel } from "./index";

function norm(vector: readonly number[]): number {
  return Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
}

describe("OfflineEmbeddingModel", () => {
  const model = new OfflineEmbeddingModel();

  it("exposes the provider metadata", () => {
    expect(model.provider).toBe("offline");
    expect(model.modelId).toBe("keel-offline-hash-384");
    expect(model.maxEmbeddingsPerCall).toBe(2048);
    expect(model.supportsParallelCalls).toBe(true);
    expect(new OfflineEmbeddingModel({ dimensions: 64 }).modelId).toBe("keel-offline-hash-64");
  });

  it("returns deterministic unit vectors of a fixed dimension", async () => {
    const { embedding, usage } = await embed({ model, value: "Acme makes wind turbine sensors." });
    expect(embedding).toHaveLength(384);
    expect(norm(embedding)).toBeCloseTo(1, 10);
    expect((await embed({ model, value: "Acme makes wind turbine sensors." })).embedding).toEqual(embedding);
    expect(embedTextOffline("Acme makes wind turbine sensors.")).toEqual(embedding);
    expect(usage.tokens).toBe(countTokens("Acme makes wind turbine sensors."));

    const small = await embed({ model: new OfflineEmbeddingModel({ dimensions: 64 }), value: "hello" });
    expect(small.embedding).toHaveLength(64);
    expect(norm(small.embedding)).toBeCloseTo(1, 10);
  });

  it("never returns a zero vector", () => {
    for (const text of ["", "   ", "???"]) {
      const vector = embedTextOffline(text);
      expect(vector).toHaveLength(384);
      expect(norm(vector)).toBeCloseTo(1, 10);
    }
  });

  it("puts similar texts closer than unrelated ones", async () => {
    const { embeddings } = await embedMany({
      model,
      values: [
        "How do I reset my password?",
        "Steps to reset a forgotten password",
        "Quarterly revenue grew by twelve percent",
        "The sensors monitor offshore wind turbines",
        "Offshore wind turbine monitoring sensor",
      ],
    });
    const [password, forgot, revenue, sensors, sensor] = embeddings;
    if (!password || !forgot || !revenue || !sensors || !sensor) throw new Error("missing embeddings");
    expect(cosineSimilarity(password, forgot)).toBeGreaterThan(cosineSimilarity(password, revenue));
    expect(cosineSimilarity(sensors, sensor)).toBeGreaterThan(cosineSimilarity(sensors, revenue));
    expect(cosineSimilarity(sensors, sensor)).toBeGreaterThan(cosineSimilarity(sensors, password));
    expect(cosineSimilarity(sensors, sensor)).toBeGreaterThan(0.5);
  });

  it("embeds 1,000 short texts (throughput sanity check, not timed)", async () => {
    const values = Array.from({ length: 1000 }, (_, i) => `Short note number ${i} about topic ${i % 17}.`);
    const started = performance.now();
    const { embeddings, usage } = await embedMany({ model, values });
    const elapsed = performance.now() - started;
    expect(embeddings).toHaveLength(1000);
    expect(usage.tokens).toBeGreaterThan(0);
    console.info(`offline embeddings: 1000 texts in ${elapsed.toFixed(0)} ms`);
  });
});
