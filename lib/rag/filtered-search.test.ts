// The case a filtered vector search gets wrong, built on purpose: a small tenant's few chunks among
// many of a big tenant's, all of the big tenant's nearer to the query. A plain HNSW scan visits
// hnsw.ef_search (40) nearest candidates, all the big tenant's, and the tenant filter then leaves
// fewer than k; retrieve() returns k, and so does the HNSW scan with the iterative-scan settings
// retrieve() uses (pgvector 0.8). Runs on PostgreSQL and on embedded PGlite (pgvector 0.8.7).
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { documentChunks, documents } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { vectorLiteral } from "@/lib/ai/cache";
import { embedTextOffline } from "@/lib/ai/offline";
import { createTenant } from "@/test/fixtures";
import { defaultRetrievalConfig } from "./config";
import { retrieve } from "./retrieve";
import { sizeScope } from "./size-scope";
import { approximateNearest } from "./vector-search";

type Owner = Awaited<ReturnType<typeof createTenant>>;

const QUERY = "quarterly turbine vibration report for the northern wind farm";
const K = 10;
const BIG_CHUNKS = 600;
const SMALL_CHUNKS = 12;

let big: Owner;
let small: Owner;
let model: string;
const queryVector = embedTextOffline(QUERY);

/** Seeded noise, so the case is the same every run. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

function unit(values: number[]): number[] {
  const norm = Math.hypot(...values);
  return values.map((v) => v / norm);
}

async function seedTenant(owner: Owner, count: number, vectorOf: (i: number) => number[]): Promise<void> {
  await withTenant(owner.tenantId, async (tx) => {
    const [document] = await tx
      .insert(documents)
      .values({
        tenantId: owner.tenantId,
        collectionId: (await defaultCollection(tx, owner.tenantId)).id,
        name: `notes-${count}.md`,
        kind: "markdown",
        sizeBytes: 1000,
        sha256: "0".repeat(64),
        storageKey: `test/${randomUUID()}`,
        status: "ready",
        activeVersion: 1,
        chunkCount: count,
      })
      .returning();
    for (let i = 0; i < count; i += 200) {
      const rows = Array.from({ length: Math.min(200, count - i) }, (_, j) => ({
        tenantId: owner.tenantId,
        documentId: document!.id,
        collectionId: document!.collectionId,
        version: 1,
        chunkIndex: i + j,
        content: `Passage ${i + j} of ${owner.tenantId}`,
        tokenCount: 5,
        contentHash: `${i + j}`,
        embedding: vectorOf(i + j),
        embeddingModel: model,
        active: true,
      }));
      await tx.insert(documentChunks).values(rows);
    }
  });
}

async function defaultCollection(tx: Tx, tenantId: string) {
  const [row] = await rawRows<{ id: string }>(tx, sql`select id from collections where tenant_id = ${tenantId}::uuid and is_default`);
  return row!;
}

/** Makes the planner take the HNSW index for a filtered ORDER BY … LIMIT, as on a large table. */
async function preferIndexOrder(tx: Tx): Promise<void> {
  await tx.execute(sql`select set_config('enable_sort', 'off', true), set_config('enable_seqscan', 'off', true)`);
}

async function usesHnswIndex(tx: Tx, vector: string): Promise<boolean> {
  const plan = await rawRows<Record<string, unknown>>(
    tx,
    sql`explain (format json) select id from document_chunks where tenant_id = ${small.tenantId}::uuid and active order by embedding <=> ${vector}::vector limit ${K}`,
  );
  return JSON.stringify(plan).includes("document_chunks_embedding_idx");
}

beforeAll(async () => {
  big = await createTenant("Big tenant");
  small = await createTenant("Small tenant");
  model = (await getGateway().chainFor(small.tenantId, "embedding"))[0]!.model;
  // The big tenant's chunks crowd the query; the small tenant's lie elsewhere in the space.
  const near = noise(1);
  await seedTenant(big, BIG_CHUNKS, () => unit(queryVector.map((x) => x + near() * 0.05)));
  const far = noise(2);
  await seedTenant(small, SMALL_CHUNKS, () => unit(queryVector.map(() => far())));
}, 120_000);

describe("a filtered vector search among a big tenant's vectors", () => {
  it("a plain HNSW scan (no iterative scan) returns fewer than k of the small tenant's rows", async () => {
    const vector = vectorLiteral(queryVector);
    const plain = await withTenant(small.tenantId, async (tx) => {
      await preferIndexOrder(tx);
      await tx.execute(sql`select set_config('hnsw.iterative_scan', 'off', true), set_config('hnsw.ef_search', '40', true)`);
      expect(await usesHnswIndex(tx, vector)).toBe(true);
      return rawRows<{ id: string }>(
        tx,
        sql`select id from document_chunks where tenant_id = ${small.tenantId}::uuid and active order by embedding <=> ${vector}::vector limit ${K}`,
      );
    });
    expect(plain.length).toBeLessThan(K);
  });

  it("the same HNSW scan with retrieve()'s iterative-scan settings returns k", async () => {
    const vector = vectorLiteral(queryVector);
    const scope = { tenantId: small.tenantId, collectionIds: null, embeddingModel: model };
    const found = await withTenant(small.tenantId, async (tx) => {
      await preferIndexOrder(tx);
      await sizeScope(tx, scope, { ...defaultRetrievalConfig, efSearch: 40 }, 1_000);
      expect(await usesHnswIndex(tx, vector)).toBe(true);
      return approximateNearest(tx, scope, vector, K);
    });
    expect(found).toHaveLength(K);
    // Re-sorted after the relaxed order of the iterative scan.
    expect(found.map((c) => c.distance)).toEqual([...found.map((c) => c.distance)].sort((a, b) => a - b));
  });

  it("retrieve() returns k rows, all the small tenant's, in both modes and whichever search it picks", async () => {
    const smallChunkIds = await withTenant(small.tenantId, (tx) => rawRows<{ id: string }>(tx, sql`select id from document_chunks`));
    const own = new Set(smallChunkIds.map((r) => r.id));
    for (const config of [defaultRetrievalConfig, { ...defaultRetrievalConfig, exactMaxChunks: 0, efSearch: 40 }]) {
      for (const mode of ["vector", "hybrid"] as const) {
        const result = await retrieve(small, QUERY, { k: K, mode }, { config });
        expect(result.strategy).toBe(config.exactMaxChunks === 0 ? "hnsw" : "exact");
        expect(result.hits).toHaveLength(K);
        expect(result.hits.every((h) => own.has(h.chunkId))).toBe(true);
      }
    }
  });
});
