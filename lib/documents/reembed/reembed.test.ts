// Re-embedding through the real reembed function (@inngest/test; every step runs against
// PostgreSQL and the fake OpenAI server): a model change switches each document blue/green and
// never leaves one on two models — checked after every step and by a poller throughout the run —
// a second run writes nothing, a run killed mid-batch resumes without writing anything twice, a
// failed run can be rolled back, and one tenant's run never touches another's chunks.
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scheduleReembedsEvery15Minutes } from "@/inngest/functions/schedule-reembeds";
import { getGateway } from "@/lib/ai";
import { fakeEmbedding, startFakeOpenAI } from "@/test/fakes/fake-llm-server";
import { createTenant } from "@/test/fixtures";
import { notificationsOf, usageOf } from "@/test/documents-harness";
import {
  activeEmbeddingState,
  analysedDocument,
  chunkRows,
  reembedJobs,
  restoreGatewayEnv,
  runReembed,
  setReembedEnv,
  switchToFakeOpenAI,
  switchToOfflineModels,
  watchEmbeddings,
  type DocumentEmbeddingState,
} from "@/test/reembed-harness";
import { acceptUpload } from "../upload";
import { embeddingInput } from "../embedding-input";
import { completeAnalysis, embedBatch, extractAndChunk } from "../pipeline";
import { requestReembed, rollbackReembed } from "./lifecycle";
import { estimateReembed } from "./plan";
import { tenantsWithStaleEmbeddings } from "./schedule";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
let a: Owner;
let b: Owner;
const docsOfA: string[] = [];
let docOfB: string;

const SMALL = "text-embedding-3-small";
const LARGE = "text-embedding-3-large";
const OFFLINE = "keel-offline-hash-384";

/** Inputs sent to the fake's /embeddings so far (each is one chunk embedded once). */
const embeddedInputs = () =>
  fake.requests.filter((r) => r.path.endsWith("/embeddings")).flatMap((r) => ((r.body as { input: string[] | string }).input as string[]) ?? []);

const errorText = (error: unknown) => (error instanceof Error ? error.message : String((error as { message?: unknown } | undefined)?.message ?? error));

/** Every document on exactly one model, with all its chunks embedded and as many as before. */
function assertWhole(state: DocumentEmbeddingState[], chunksPerDocument: Map<string, number>): void {
  for (const document of state) {
    expect(document.models, `document ${document.documentId} mixes models`).toHaveLength(1);
    expect(document.missing).toBe(0);
    expect(document.chunks).toBe(chunksPerDocument.get(document.documentId));
  }
}

async function chunkCounts(tenantId: string): Promise<Map<string, number>> {
  return new Map((await activeEmbeddingState(tenantId)).map((d) => [d.documentId, d.chunks]));
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ batches: false });
  await switchToOfflineModels();
  a = await createTenant("Re-embed A");
  b = await createTenant("Re-embed B");
  // First analysed with the offline model, as a fresh install is.
  docsOfA.push((await analysedDocument(a, "alpha", 3)).id, (await analysedDocument(a, "bravo", 2)).id, (await analysedDocument(a, "charlie", 3)).id);
  docOfB = (await analysedDocument(b, "delta", 2)).id;
  // Two chunks per online step: documents of three chunks span steps, so half-done states exist.
  setReembedEnv({ stepChunks: 2 });
}, 120_000);

afterAll(async () => {
  await restoreGatewayEnv();
  await fake?.close();
});

describe("a change of embedding model", () => {
  it("switches each document at once, never mixing models in one document at any point, and removes the old vectors", async () => {
    await switchToFakeOpenAI(fake.url);
    const before = await chunkRows(a.tenantId);
    const beforeB = await chunkRows(b.tenantId);
    expect(before.every((c) => c.embeddingModel === OFFLINE && c.embeddedHash === c.contentHash)).toBe(true);
    const counts = await chunkCounts(a.tenantId);

    const estimate = await estimateReembed(a);
    expect(estimate).toMatchObject({ target: { provider: "openai", model: SMALL }, chunks: before.length, documents: 3, usesBatch: false, partialChunks: 0 });
    expect(estimate.costMicroUsd).toBe(Math.ceil(estimate.tokens * 0.02));

    const afterEachStep: DocumentEmbeddingState[][] = [];
    const watcher = watchEmbeddings(a.tenantId);
    const { result, error } = await runReembed(
      { tenantId: a.tenantId, scope: { kind: "tenant" } },
      { afterStep: async () => void afterEachStep.push(await activeEmbeddingState(a.tenantId)) },
    );
    const samples = await watcher.stop();
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ reembedded: true, left: 0 });

    // Throughout: after every step and in every poll, each document whole on one model…
    expect(afterEachStep.length).toBeGreaterThanOrEqual(5);
    expect(samples.length).toBeGreaterThan(afterEachStep.length);
    for (const state of [...afterEachStep, ...samples]) assertWhole(state, counts);
    // …while the tenant as a whole was seen half-way: some documents switched, others not yet.
    const mixedTenant = (state: DocumentEmbeddingState[]) => new Set(state.map((d) => d.models[0])).size > 1;
    expect(afterEachStep.some(mixedTenant)).toBe(true);
    // A document of three chunks was seen with shadows written but not yet switched.
    expect(afterEachStep.some((state) => state.some((d) => d.shadows > 0 && d.models[0] === OFFLINE))).toBe(true);

    const after = await chunkRows(a.tenantId);
    // Same rows (ids), new vectors from the new model for the same text; no shadows left.
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    for (const chunk of after) {
      expect(chunk).toMatchObject({ embeddingModel: SMALL, embeddedHash: chunk.contentHash, nextEmbedding: null, nextEmbeddingModel: null });
      expect(chunk.embedding![0]).toBeCloseTo(fakeEmbedding(embeddingInput(chunk), 384)[0]!, 5);
    }
    // Each chunk embedded exactly once, metered as re-embedding.
    expect(embeddedInputs()).toHaveLength(before.length);
    const usage = (await usageOf(a.tenantId)).filter((u) => u.feature === "document-reembedding");
    expect(usage.reduce((n, u) => n + (u.status === "ok" ? 1 : 0), 0)).toBe(Math.ceil(before.length / 2));
    expect(usage.every((u) => u.priceTier === "standard" && u.model === SMALL)).toBe(true);

    const [job] = await reembedJobs(a.tenantId);
    expect(job).toMatchObject({ status: "succeeded", stage: "ready", done: before.length, total: before.length });

    // Tenant B was not touched.
    expect(await chunkRows(b.tenantId)).toEqual(beforeB);
  });

  it("writes nothing on a second run: nothing is stale", async () => {
    const before = await chunkRows(a.tenantId);
    const requests = fake.requests.length;
    const usage = (await usageOf(a.tenantId)).length;
    const { result, error } = await runReembed({ tenantId: a.tenantId, scope: { kind: "tenant" } });
    expect(error).toBeUndefined();
    expect(result).toEqual({ reembedded: false });
    expect(fake.requests.length).toBe(requests);
    expect((await usageOf(a.tenantId)).length).toBe(usage);
    expect(await chunkRows(a.tenantId)).toEqual(before);
    expect(await reembedJobs(a.tenantId)).toHaveLength(1);
  });
});

describe("a run killed mid-batch", () => {
  it("resumes where it stopped: each chunk embedded once, no row written twice, documents whole throughout", async () => {
    await switchToFakeOpenAI(fake.url, LARGE);
    fake.reset();
    const before = await chunkRows(a.tenantId);
    const counts = await chunkCounts(a.tenantId);
    const eventId = crypto.randomUUID();
    const watcher = watchEmbeddings(a.tenantId);

    // Killed after the second step's write committed but before its result was remembered.
    const killed = await runReembed(
      { tenantId: a.tenantId, scope: { kind: "tenant" } },
      {
        eventId,
        afterStep: async (id) => {
          if (id === "embed-batch-1") throw new Error("process killed");
        },
      },
    );
    expect(killed.error).toBeDefined();
    const between = await activeEmbeddingState(a.tenantId);
    assertWhole(between, counts);
    expect(between.some((d) => d.models[0] === LARGE)).toBe(true);
    expect(between.some((d) => d.models[0] === SMALL)).toBe(true);
    expect(embeddedInputs()).toHaveLength(4);

    // The same event again (the executor's retry): the run resumes from what is stored.
    const resumed = await runReembed({ tenantId: a.tenantId, scope: { kind: "tenant" } }, { eventId });
    const samples = await watcher.stop();
    expect(resumed.error).toBeUndefined();
    for (const state of samples) assertWhole(state, counts);

    const after = await chunkRows(a.tenantId);
    expect(after).toHaveLength(before.length);
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    expect(after.every((c) => c.embeddingModel === LARGE && c.nextEmbedding === null)).toBe(true);
    // Nothing was embedded twice: the killed step's chunks kept their stored shadows.
    expect(embeddedInputs()).toHaveLength(before.length);
    expect(new Set(embeddedInputs()).size).toBe(before.length);
    // One job for the event, finished.
    const jobs = await reembedJobs(a.tenantId);
    expect(jobs.at(-1)).toMatchObject({ status: "succeeded", total: before.length, done: before.length });
    expect(jobs).toHaveLength(2);
  });
});

describe("a failed run", () => {
  it("fails without mixing when the model changes under it, keeps documents on their vectors, and is rolled back", async () => {
    await switchToFakeOpenAI(fake.url, SMALL);
    // One chunk per step: after the first, one document has one shadow and cannot be switched yet.
    setReembedEnv({ stepChunks: 1 });
    const before = await chunkRows(a.tenantId);
    const counts = await chunkCounts(a.tenantId);
    const request = await requestReembed(a, { kind: "tenant" });

    // After the first step, the configuration moves on to another model: the next step's vectors
    // would come from it, so the run stops rather than store them.
    const { error } = await runReembed(
      { tenantId: a.tenantId, scope: request.scope, jobId: request.jobId },
      {
        afterStep: async (id) => {
          if (id === "embed-batch-0") await switchToFakeOpenAI(fake.url, LARGE);
        },
      },
    );
    expect(errorText(error)).toMatch(/changed from text-embedding-3-small to text-embedding-3-large/);
    const [job] = (await reembedJobs(a.tenantId)).filter((j) => j.id === request.jobId);
    expect(job).toMatchObject({ status: "failed", stage: "failed" });
    expect((await notificationsOf(a.userId)).some((n) => n.kind === "embeddings.reembed_failed")).toBe(true);

    // The partial new set sits beside the live vectors; nothing searchable changed.
    const failed = await activeEmbeddingState(a.tenantId);
    assertWhole(failed, counts);
    expect(failed.every((d) => d.models[0] === LARGE)).toBe(true);
    expect(failed.reduce((n, d) => n + d.shadows, 0)).toBe(1);
    expect((await estimateReembed(a)).partialChunks).toBe(1);

    const rolledBack = await rollbackReembed(a);
    expect(rolledBack).toMatchObject({ discardedChunks: 1, cancelledJobIds: [] });
    const after = await chunkRows(a.tenantId);
    expect(after.every((c) => c.nextEmbedding === null && c.nextEmbeddingModel === null)).toBe(true);
    const live = (rows: typeof before) => rows.map((c) => [c.id, c.embeddingModel, c.embedding]).sort();
    expect(live(after)).toEqual(live(before));
  });

  it("rolls back a run in progress: its job is cancelled, its partial set discarded, and the run stops at its next step", async () => {
    await switchToFakeOpenAI(fake.url, SMALL);
    const before = await chunkRows(a.tenantId);
    const request = await requestReembed(a, { kind: "tenant" });
    await expect(requestReembed(a, { kind: "tenant" })).rejects.toMatchObject({ code: "conflict" });
    const stopped = await runReembed(
      { tenantId: a.tenantId, scope: request.scope, jobId: request.jobId },
      {
        afterStep: async (id) => {
          if (id === "embed-batch-0") throw new Error("process killed");
        },
      },
    );
    expect(stopped.error).toBeDefined();
    expect((await activeEmbeddingState(a.tenantId)).reduce((n, d) => n + d.shadows, 0)).toBe(1);

    expect(await rollbackReembed(a)).toMatchObject({ cancelledJobIds: [request.jobId], discardedChunks: 1 });
    setReembedEnv({ stepChunks: 2 });
    const requests = fake.requests.length;
    const again = await runReembed({ tenantId: a.tenantId, scope: request.scope, jobId: request.jobId });
    expect(errorText(again.error)).toMatch(/cancelled or rolled back/);
    expect(fake.requests.length).toBe(requests);
    const live = (rows: typeof before) => rows.map((c) => [c.id, c.embeddingModel, c.embedding, c.nextEmbedding]).sort();
    expect(live(await chunkRows(a.tenantId))).toEqual(live(before));
    expect((await reembedJobs(a.tenantId)).find((j) => j.id === request.jobId)).toMatchObject({ status: "cancelled" });
  });
});

describe("scopes and tenants", () => {
  it("re-embeds one document, then a collection, and never another tenant's chunks", async () => {
    await switchToFakeOpenAI(fake.url, SMALL);
    const beforeB = await chunkRows(b.tenantId);
    const { error } = await runReembed({ tenantId: a.tenantId, scope: { kind: "document", documentId: docsOfA[1]! } });
    expect(error).toBeUndefined();
    const state = await activeEmbeddingState(a.tenantId);
    expect(state.find((d) => d.documentId === docsOfA[1])?.models).toEqual([SMALL]);
    expect(state.filter((d) => d.documentId !== docsOfA[1]).every((d) => d.models[0] === LARGE)).toBe(true);

    const [chunk] = await chunkRows(a.tenantId);
    await runReembed({ tenantId: a.tenantId, scope: { kind: "collection", collectionId: chunk!.collectionId } });
    expect((await activeEmbeddingState(a.tenantId)).every((d) => d.models[0] === SMALL)).toBe(true);

    // B's chunks are stale too (still the offline model), yet A's runs left them as they were;
    // and a run for B asking for A's document finds nothing in B's scope.
    expect(await chunkRows(b.tenantId)).toEqual(beforeB);
    const foreign = await runReembed({ tenantId: b.tenantId, scope: { kind: "document", documentId: docsOfA[0]! } });
    expect(foreign.result).toEqual({ reembedded: false });
    expect(await chunkRows(b.tenantId)).toEqual(beforeB);
    await expect(requestReembed(b, { kind: "document", documentId: docsOfA[0]! })).rejects.toMatchObject({ code: "not_found" });
    await expect(estimateReembed({ ...b, role: "member" })).rejects.toMatchObject({ code: "forbidden" });
    expect((await activeEmbeddingState(b.tenantId)).map((d) => d.documentId)).toEqual([docOfB]);
  });

  it("tells whoever asked when their run finishes", async () => {
    await switchToFakeOpenAI(fake.url, LARGE);
    const request = await requestReembed(b, { kind: "tenant" });
    const { error } = await runReembed({ tenantId: b.tenantId, scope: request.scope, jobId: request.jobId });
    expect(error).toBeUndefined();
    expect((await activeEmbeddingState(b.tenantId)).every((d) => d.models[0] === LARGE)).toBe(true);
    const notice = (await notificationsOf(b.userId)).find((n) => n.kind === "embeddings.reembedded");
    expect(notice).toMatchObject({ title: "Re-embedding finished", link: "/settings#reembed-heading" });
    await getGateway().flush();
  });
});

describe("a run with more to do than one run's steps", () => {
  it("hands its job to a fresh run, which carries on where it stopped and finishes the job", async () => {
    await switchToOfflineModels();
    const c = await createTenant("Re-embed C");
    await analysedDocument(c, "hotel", 3);
    await switchToFakeOpenAI(fake.url, SMALL);
    setReembedEnv({ stepChunks: 1, maxSteps: 2 });
    try {
      const chunks = (await chunkRows(c.tenantId)).length;
      const first = await runReembed({ tenantId: c.tenantId, scope: { kind: "tenant" } }, { mocks: [{ id: "hand-over", handler: () => ({ ids: [] }) }] });
      expect(first.result).toEqual({ reembedded: true, handedOver: true });
      const [job] = await reembedJobs(c.tenantId);
      expect(job).toMatchObject({ status: "running", done: 2, total: chunks });
      const [, handedOver] = first.ctx.step.sendEvent.mock.calls.find(([id]) => id === "hand-over") as [
        string,
        { name: string; data: Record<string, unknown> },
      ];
      expect(handedOver).toEqual({
        name: "embeddings/reembed.requested",
        data: { tenantId: c.tenantId, scope: { kind: "tenant" }, jobId: job!.id, mode: "auto" },
      });

      setReembedEnv({ maxSteps: null });
      const second = await runReembed(handedOver.data as Parameters<typeof runReembed>[0]);
      expect(second.error).toBeUndefined();
      expect(await reembedJobs(c.tenantId)).toEqual([expect.objectContaining({ id: job!.id, status: "succeeded", done: chunks, total: chunks })]);
      expect((await activeEmbeddingState(c.tenantId)).every((d) => d.models.length === 1 && d.models[0] === SMALL)).toBe(true);
    } finally {
      setReembedEnv({ stepChunks: 2, maxSteps: null });
    }
  });
});

describe("an analysis during a model change", () => {
  it("goes live on one model: chunks embedded by the previous model are embedded again before the switch", async () => {
    await switchToOfflineModels();
    const text = Array.from({ length: 90 }, (_, i) => `Line ${i} of the golf report covers rotor speed, blade pitch and grid frequency in detail.`).join(
      "\n\n",
    );
    const { document, request } = await acceptUpload(a, { fileName: "golf.md", bytes: new TextEncoder().encode(`# Golf\n\n${text}`), collectionId: null });
    const prepared = await extractAndChunk(request);
    expect(prepared.chunkCount).toBeGreaterThan(1);
    await embedBatch(request, [0, 0], { index: 0, count: 2, chunkCount: prepared.chunkCount });
    await switchToFakeOpenAI(fake.url, SMALL);
    await embedBatch(request, [1, prepared.chunkCount - 1], { index: 1, count: 2, chunkCount: prepared.chunkCount });
    const version = (await chunkRows(a.tenantId)).filter((c) => c.documentId === document.id);
    expect(new Set(version.map((c) => c.embeddingModel))).toEqual(new Set([OFFLINE, SMALL]));

    await completeAnalysis(request, { summary: "Golf.", keyPoints: [], entities: [], language: "en" });
    const live = (await activeEmbeddingState(a.tenantId)).find((d) => d.documentId === document.id);
    expect(live).toMatchObject({ models: [SMALL], missing: 0, chunks: prepared.chunkCount });
  });
});

describe("the 15-minute schedule", () => {
  it("finds the tenants with stale chunks across tenants and sends each its own event, skipping tenants with a run under way", async () => {
    await switchToFakeOpenAI(fake.url, SMALL);
    // A is on the configured model; B is not (its last run used another).
    expect((await activeEmbeddingState(a.tenantId)).every((d) => d.models[0] === SMALL)).toBe(true);
    const stale = await tenantsWithStaleEmbeddings();
    expect(stale).toContain(b.tenantId);
    expect(stale).not.toContain(a.tenantId);

    const engine = new InngestTestEngine({ function: scheduleReembedsEvery15Minutes });
    const { ctx, result } = await engine.execute({ steps: [{ id: "request-tenant-reembeds", handler: () => ({ ids: [] }) }] });
    expect(result).toMatchObject({ tenants: stale.length });
    const [, events] = ctx.step.sendEvent.mock.calls.find(([id]) => id === "request-tenant-reembeds") as [
      string,
      Array<{ id: string; name: string; data: unknown }>,
    ];
    const forB = events.find((e) => (e.data as { tenantId: string }).tenantId === b.tenantId);
    expect(forB).toMatchObject({ name: "embeddings/reembed.requested", data: { tenantId: b.tenantId, scope: { kind: "tenant" } } });
    expect(forB!.id).toMatch(new RegExp(`^reembed-${b.tenantId}-\\d+$`));
    expect(events.some((e) => (e.data as { tenantId: string }).tenantId === a.tenantId)).toBe(false);

    // A run asked for (queued) holds the tenant back from the schedule until it ends.
    await requestReembed(b, { kind: "tenant" });
    expect(await tenantsWithStaleEmbeddings()).not.toContain(b.tenantId);
    await rollbackReembed(b);
    expect(await tenantsWithStaleEmbeddings()).toContain(b.tenantId);
  });
});
