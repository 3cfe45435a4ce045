// Tenant-wide re-embeddings above KEEL_REEMBED_BATCH_MIN_CHUNKS through the provider's batch API,
// against the fake OpenAI server's Files + Batches API: submitted once (a replay finds the batch
// by its metadata), polled durably (step.sleep between polls), applied blue/green, charged once at
// the batch price and held to the quota; an expired batch's missing lines and a server without
// the API both end online.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
import { embeddingBatches } from "@/db/schema";
import { countTokens } from "@/lib/ai/tokens";
import { fakeEmbedding, startFakeOpenAI } from "@/test/fakes/fake-llm-server";
import { createTenant } from "@/test/fixtures";
import { usageOf } from "@/test/documents-harness";
import { quotaRow, setLimits } from "@/test/gateway-harness";
import {
  activeEmbeddingState,
  analysedDocument,
  batchRows,
  batchWaitMocks,
  chunkRows,
  reembedJobs,
  restoreGatewayEnv,
  runReembed,
  setReembedEnv,
  switchToFakeOpenAI,
  switchToOfflineModels,
  watchEmbeddings,
} from "@/test/reembed-harness";
import { embeddingInput } from "../embedding-input";
import { estimateReembed } from "./plan";

type Owner = Awaited<ReturnType<typeof startFakeOpenAI>>;
let batching: Owner;
let expiring: Owner;
let noBatches: Owner;
let owner: Awaited<ReturnType<typeof createTenant>>;

const SMALL = "text-embedding-3-small";
const LARGE = "text-embedding-3-large";
const tenantScope = () => ({ tenantId: owner.tenantId, scope: { kind: "tenant" as const } });
const onlineInputs = (server: Owner) => server.requests.filter((r) => r.method === "POST" && r.path.endsWith("/embeddings")).length;
const wordsOf = (text: string) => text.split(/\s+/).filter(Boolean).length;

function assertEveryDocumentWhole(states: Awaited<ReturnType<typeof activeEmbeddingState>>[]): void {
  for (const state of states) for (const document of state) expect(document.models).toHaveLength(1);
}

beforeAll(async () => {
  batching = await startFakeOpenAI({ batches: { pollsBeforeDone: 2 } });
  expiring = await startFakeOpenAI({ batches: { pollsBeforeDone: 0, endStatus: "expired" } });
  noBatches = await startFakeOpenAI({ batches: false });
  await switchToOfflineModels();
  owner = await createTenant("Batch re-embed");
  await analysedDocument(owner, "echo", 3);
  await analysedDocument(owner, "foxtrot", 3);
  setReembedEnv({ stepChunks: 64, batchMinChunks: 3 });
}, 120_000);

afterAll(async () => {
  await restoreGatewayEnv();
  await Promise.all([batching?.close(), expiring?.close(), noBatches?.close()]);
});

describe("the provider batch path", () => {
  it("submits one batch, polls it with sleeps between, applies it blue/green and records the batch price", async () => {
    await switchToFakeOpenAI(batching.url);
    const before = await chunkRows(owner.tenantId);
    const estimate = await estimateReembed(owner);
    expect(estimate).toMatchObject({ usesBatch: true, chunks: before.length });
    expect(estimate.costMicroUsd).toBe(Math.ceil(estimate.tokens * 0.01));
    expect(estimate.onlineCostMicroUsd).toBe(Math.ceil(estimate.tokens * 0.02));

    const watcher = watchEmbeddings(owner.tenantId);
    const { error } = await runReembed(tenantScope(), { mocks: batchWaitMocks() });
    assertEveryDocumentWhole(await watcher.stop());
    expect(error).toBeUndefined();

    // One batch of one request per chunk, for the target model and the deployment's dimension.
    const [batch, ...others] = [...batching.batches!.batches.values()];
    expect(others).toHaveLength(0);
    expect(batch).toMatchObject({ status: "completed", counts: { total: before.length, completed: before.length, failed: 0 } });
    const lines = batching
      .batches!.files.get(batch!.inputFileId)!
      .content.trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { body: Record<string, unknown> });
    expect(lines).toHaveLength(before.length);
    expect(lines.every((l) => l.body.model === SMALL && l.body.dimensions === 384)).toBe(true);
    // Three reads: two in progress, then done; nothing went online.
    expect(batching.requests.filter((r) => r.method === "GET" && /\/batches\/[^/]+$/.test(r.path))).toHaveLength(3);
    expect(onlineInputs(batching)).toBe(0);

    const after = await chunkRows(owner.tenantId);
    for (const chunk of after) {
      expect(chunk).toMatchObject({ embeddingModel: SMALL, nextEmbedding: null });
      expect(chunk.embedding![0]).toBeCloseTo(fakeEmbedding(embeddingInput(chunk), 384)[0]!, 5);
    }

    // Charged once, at the batch price, for the tokens the provider reported; nothing left reserved.
    const [row] = await batchRows(owner.tenantId);
    expect(row).toMatchObject({ status: "applied", requestCount: before.length, providerBatchId: batch!.id });
    const usage = (await usageOf(owner.tenantId)).filter((u) => u.feature === "document-reembedding");
    const tokens = after.reduce((n, c) => n + wordsOf(embeddingInput(c)), 0);
    expect(usage).toEqual([
      expect.objectContaining({
        requestId: `embedding-batch:${row!.id}`,
        priceTier: "batch",
        status: "ok",
        inputTokens: tokens,
        costMicroUsd: Math.ceil(tokens * 0.01),
      }),
    ]);
    expect((await quotaRow(owner.tenantId))?.reservedTokens).toBe(0);
    expect((await reembedJobs(owner.tenantId)).at(-1)).toMatchObject({ status: "succeeded", done: before.length, total: before.length });
  });

  it("finds a batch it created but did not remember (killed in between) instead of paying for a second one", async () => {
    await switchToFakeOpenAI(batching.url, LARGE);
    const eventId = crypto.randomUUID();
    const killed = await runReembed(tenantScope(), {
      eventId,
      mocks: batchWaitMocks(),
      afterStep: async (id) => {
        if (id === "batch-submit-0") throw new Error("process killed");
      },
    });
    expect(killed.error).toBeDefined();
    // As if the process died after the provider created the batch, before the row said so.
    await withSystem("test: forget the provider batch id", (tx) =>
      tx
        .update(embeddingBatches)
        .set({ status: "submitting", providerBatchId: null })
        .where(sql`${embeddingBatches.model} = ${LARGE}`),
    );
    const reserved = (await quotaRow(owner.tenantId))!.reservedTokens;
    expect(reserved).toBeGreaterThan(0);

    const resumed = await runReembed(tenantScope(), { eventId, mocks: batchWaitMocks() });
    expect(resumed.error).toBeUndefined();
    // The first test's batch and this one: no second batch for this run, and it completed.
    expect([...batching.batches!.batches.values()].map((b) => b.status)).toEqual(["completed", "completed"]);
    expect((await chunkRows(owner.tenantId)).every((c) => c.embeddingModel === LARGE)).toBe(true);
    const batchUsage = (await usageOf(owner.tenantId)).filter((u) => u.priceTier === "batch");
    expect(batchUsage).toHaveLength(2);
    expect((await quotaRow(owner.tenantId))?.reservedTokens).toBe(0);
  });

  it("re-embeds online what an expired batch left undone", async () => {
    await switchToFakeOpenAI(expiring.url, SMALL);
    const chunks = (await chunkRows(owner.tenantId)).length;
    const { error } = await runReembed(tenantScope(), { mocks: batchWaitMocks() });
    expect(error).toBeUndefined();
    const [batch] = [...expiring.batches!.batches.values()];
    expect(batch).toMatchObject({ status: "expired" });
    const halfDone = batch!.counts.completed;
    expect(halfDone).toBe(Math.floor(chunks / 2));
    // The rest went through /v1/embeddings, at the standard price.
    expect(expiring.requests.filter((r) => r.path.endsWith("/embeddings")).flatMap((r) => (r.body as { input: string[] }).input)).toHaveLength(
      chunks - halfDone,
    );
    expect((await chunkRows(owner.tenantId)).every((c) => c.embeddingModel === SMALL && c.nextEmbedding === null)).toBe(true);
    const usage = (await usageOf(owner.tenantId)).filter((u) => u.model === SMALL && u.feature === "document-reembedding");
    const row = (await batchRows(owner.tenantId)).find((b) => b.providerBatchId === batch!.id);
    expect(row).toMatchObject({ status: "applied" });
    expect(usage.filter((u) => u.requestId === `embedding-batch:${row!.id}`)).toEqual([
      expect.objectContaining({ priceTier: "batch", status: "partial", errorCode: "batch_incomplete" }),
    ]);
    expect(usage.filter((u) => u.priceTier === "standard" && u.status === "ok").length).toBeGreaterThan(0);
  });
});

describe("without a batch API", () => {
  it("falls back to online calls when the batch endpoints answer 404, releasing what it reserved", async () => {
    await switchToFakeOpenAI(noBatches.url, LARGE);
    const chunks = (await chunkRows(owner.tenantId)).filter((c) => c.embeddingModel !== LARGE).length;
    expect(chunks).toBeGreaterThanOrEqual(3);
    const { error } = await runReembed(tenantScope(), { mocks: batchWaitMocks() });
    expect(error).toBeUndefined();
    expect(noBatches.requests.some((r) => r.path.endsWith("/files"))).toBe(true);
    expect(noBatches.requests.filter((r) => r.path.endsWith("/embeddings")).flatMap((r) => (r.body as { input: string[] }).input)).toHaveLength(chunks);
    expect((await chunkRows(owner.tenantId)).every((c) => c.embeddingModel === LARGE)).toBe(true);
    const failedBatch = (await batchRows(owner.tenantId)).find((b) => b.status === "failed");
    expect(failedBatch?.error).toMatch(/404/);
    const usage = (await usageOf(owner.tenantId)).filter((u) => u.model === LARGE);
    expect(usage.find((u) => u.requestId === `embedding-batch:${failedBatch!.id}`)).toMatchObject({
      status: "error",
      costMicroUsd: 0,
      errorCode: "batch_not_run",
    });
    expect(usage.filter((u) => u.priceTier === "standard" && u.status === "ok").length).toBeGreaterThan(0);
    expect((await quotaRow(owner.tenantId))?.reservedTokens).toBe(0);
    expect((await reembedJobs(owner.tenantId)).at(-1)).toMatchObject({ status: "succeeded" });
  });
});

describe("quota", () => {
  it("refuses a batch the tenant's allowance cannot hold: nothing is uploaded and the job says why", async () => {
    await switchToFakeOpenAI(batching.url, SMALL);
    const [{ used } = { used: 0 }] = await withSystem("test: tokens used", (tx) =>
      rawRows<{ used: number }>(tx, sql`select used_tokens::int as used from quota_periods where tenant_id = ${owner.tenantId}`),
    );
    const chunks = await chunkRows(owner.tenantId);
    const needed = chunks.reduce((n, c) => n + countTokens(embeddingInput(c)), 0);
    await setLimits(owner, { monthlyTokenLimit: used + Math.floor(needed / 2) });
    const uploads = batching.requests.filter((r) => r.path.endsWith("/files")).length;

    const { error } = await runReembed(tenantScope(), { mocks: batchWaitMocks() });
    expect(String((error as { message?: string } | undefined)?.message)).toMatch(/monthly token limit/);
    expect(batching.requests.filter((r) => r.path.endsWith("/files")).length).toBe(uploads);
    expect((await chunkRows(owner.tenantId)).every((c) => c.embeddingModel === LARGE)).toBe(true);
    expect((await reembedJobs(owner.tenantId)).at(-1)).toMatchObject({ status: "failed" });
    expect((await batchRows(owner.tenantId)).some((b) => b.status === "failed" && /monthly token limit/.test(b.error ?? ""))).toBe(true);
    await setLimits(owner, {});
  });
});
