// Tenant-wide runs above a size use the provider's batch API (OpenAI's, about half price): submit
// the pending chunks as one batch, poll it durably (the function sleeps between polls), then store
// its vectors as shadows and switch the documents that are complete. When the API is unavailable
// (404, 501, no connection, or any error creating the batch) the run goes on
// online. Each step is idempotent: the batch row is named by the job and round, so a replay finds
// the row (and, through the batch's metadata, a batch whose creation was not remembered); the
// usage event is named by the row, so collecting twice charges once.
import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { documentChunks as c, embeddingBatches, type EmbeddingBatch } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { getGateway, isGatewayError } from "@/lib/ai";
import {
  BatchApiError,
  cancelEmbeddingBatch,
  collectEmbeddingBatch,
  createEmbeddingBatch,
  embeddingBatchStatus,
  findEmbeddingBatch,
  finishedBatchStatuses,
  releaseEmbeddingBatch,
  reserveEmbeddingBatch,
} from "@/lib/ai/gateway/embed-batch";
import { countTokens } from "@/lib/ai/tokens";
import type { ProviderName, Reservation } from "@/lib/ai/types";
import { updateJob } from "@/lib/jobs/progress";
import { log } from "@/core/log";
import { embeddingInput } from "../embedding-input";
import { assertRunWanted } from "./lifecycle";
import { assertTarget, storeShadows } from "./online";
import { inScope, nextPendingChunks, type PendingChunk } from "./stale-chunks";
import { uuidFromName, type ReembedRun } from "./types";

export type SubmittedBatch =
  { kind: "none" } | { kind: "unavailable"; reason: string } | { kind: "submitted"; batchId: string; providerBatchId: string; requests: number };

const reservationSchema = z.object({
  id: z.uuid(),
  tenantId: z.uuid(),
  periodStart: z.string(),
  userId: z.uuid().nullable(),
  tokens: z.number(),
  microUsd: z.number(),
  memberCharged: z.boolean(),
});

const callContext = (run: Pick<ReembedRun, "tenantId">, batchId: string) => ({
  tenantId: run.tenantId,
  userId: null,
  feature: "document-reembedding",
  requestId: `embedding-batch:${batchId}`,
});

/** One request per chunk; the id carries the hash of the text sent, so a result for text that changed since is dropped. */
const customIdOf = (chunk: PendingChunk) => `${chunk.id}.${chunk.contentHash.slice(0, 16)}`;

function readBatch(run: ReembedRun, batchId: string): Promise<EmbeddingBatch | undefined> {
  return withTenant(run.tenantId, async (tx) => {
    const [row] = await tx
      .select()
      .from(embeddingBatches)
      .where(and(eq(embeddingBatches.id, batchId), eq(embeddingBatches.tenantId, run.tenantId)));
    return row;
  });
}

function updateBatch(run: ReembedRun, batchId: string, patch: Partial<EmbeddingBatch>): Promise<unknown> {
  return withTenant(run.tenantId, (tx) =>
    tx
      .update(embeddingBatches)
      .set({ ...patch, updatedAt: new Date() })
      .where(and(eq(embeddingBatches.id, batchId), eq(embeddingBatches.tenantId, run.tenantId))),
  );
}

function reservationOf(row: EmbeddingBatch | undefined): Reservation | null {
  const parsed = reservationSchema.safeParse(row?.reservation);
  return parsed.success ? parsed.data : null;
}

export async function submitReembedBatch(run: ReembedRun, round: number): Promise<SubmittedBatch> {
  await assertRunWanted(run);
  const gateway = getGateway();
  const batchId = uuidFromName(`reembed-batch:${run.jobId}:${round}`);
  const ctx = callContext(run, batchId);
  const existing = await readBatch(run, batchId);
  if (existing?.providerBatchId && existing.status !== "failed") {
    return { kind: "submitted", batchId, providerBatchId: existing.providerBatchId, requests: existing.requestCount };
  }
  if (existing && existing.status !== "submitting") return { kind: "unavailable", reason: existing.error ?? "The batch did not run." };

  // A replay of this step (before anything was stored) finds the same chunks, in the same order.
  const chunks = await withTenant(run.tenantId, (tx) => nextPendingChunks(tx, run.tenantId, run.scope, run.target, run.settings.batchMaxRequests));
  if (chunks.length === 0) return { kind: "none" };
  const items = chunks.map((chunk) => ({ customId: customIdOf(chunk), text: embeddingInput(chunk) }));
  const tokens = items.reduce((sum, item) => sum + countTokens(item.text), 0);
  if (!existing) {
    await withTenant(run.tenantId, (tx) =>
      tx
        .insert(embeddingBatches)
        .values({
          id: batchId,
          tenantId: run.tenantId,
          jobId: run.jobId,
          provider: run.target.provider,
          model: run.target.model,
          requestCount: items.length,
          estimatedTokens: tokens,
        })
        .onConflictDoNothing(),
    );
  }
  let reservation = reservationOf(existing);
  if (!reservation) {
    try {
      reservation = await reserveEmbeddingBatch(gateway, ctx, run.target, tokens);
    } catch (error) {
      if (isGatewayError(error)) await updateBatch(run, batchId, { status: "failed", error: error.message, finishedAt: new Date() });
      throw error;
    }
    await updateBatch(run, batchId, { reservation });
  }
  try {
    // Created before, but the step died before remembering it: adopt that batch, never pay twice.
    const found = existing ? await findEmbeddingBatch(gateway, run.target, "keel_batch_id", batchId) : null;
    const batch = found ? { ...found, inputFileId: null } : await createEmbeddingBatch(gateway, run.target, items, { keel_batch_id: batchId });
    await updateBatch(run, batchId, { status: "submitted", providerBatchId: batch.id, inputFileId: batch.inputFileId });
    await updateJob(run.tenantId, run.jobId, {
      stage: "batch",
      message: `Submitted ${items.length} passages to the provider's batch API (about half price); waiting for it to finish`,
    });
    return { kind: "submitted", batchId, providerBatchId: batch.id, requests: items.length };
  } catch (error) {
    if (!(error instanceof BatchApiError)) throw error;
    log.warn({ err: error, batchId }, "provider batch API unavailable; re-embedding online");
    await releaseEmbeddingBatch(gateway, ctx, run.target, reservation);
    await updateBatch(run, batchId, { status: "failed", error: error.message, finishedAt: new Date() });
    await updateJob(run.tenantId, run.jobId, { stage: "embedding", message: "The provider's batch API is not available; re-embedding online instead" });
    return { kind: "unavailable", reason: error.message };
  }
}

/** One look at the provider batch; `finished` once the provider is done with it (whatever the outcome). */
export async function pollReembedBatch(
  run: ReembedRun,
  submitted: Extract<SubmittedBatch, { kind: "submitted" }>,
): Promise<{ finished: boolean; status: string }> {
  await assertRunWanted(run);
  try {
    const batch = await embeddingBatchStatus(getGateway(), run.target, submitted.providerBatchId);
    const counts = batch.request_counts;
    await updateBatch(run, submitted.batchId, { outputFileId: batch.output_file_id ?? null });
    await updateJob(run.tenantId, run.jobId, {
      stage: "batch",
      message: `Provider batch ${batch.status.replace("_", " ")}${counts ? `: ${counts.completed} of ${counts.total} passages embedded` : ""}`,
    });
    return { finished: finishedBatchStatuses.includes(batch.status), status: batch.status };
  } catch (error) {
    // The batch is gone at the provider: nothing more will come of it; the rest goes online.
    if (error instanceof BatchApiError && error.status === 404) return { finished: true, status: "missing" };
    throw error;
  }
}

/**
 * Stores the batch's vectors as shadows and switches the documents that are complete. A batch the
 * run stopped waiting for is cancelled first; whatever output it has is used. Lines that failed
 * stay pending, for the online steps that follow.
 */
export async function applyReembedBatch(
  run: ReembedRun,
  submitted: Extract<SubmittedBatch, { kind: "submitted" }>,
  finished: boolean,
): Promise<{ embedded: number; failed: number; switched: number }> {
  await assertRunWanted(run);
  const gateway = getGateway();
  const row = await readBatch(run, submitted.batchId);
  if (!row || row.status === "applied") return { embedded: 0, failed: 0, switched: 0 };
  let outputFileId = row.outputFileId;
  if (!finished) {
    const cancelled = await cancelEmbeddingBatch(gateway, run.target, submitted.providerBatchId).catch(() => null);
    outputFileId = cancelled?.output_file_id ?? outputFileId;
  }
  const output = await collectEmbeddingBatch(gateway, callContext(run, submitted.batchId), {
    target: run.target,
    outputFileId,
    reservation: reservationOf(row),
    requests: row.requestCount,
  });
  assertTarget(run, row.model, [...output.vectors.values()]);
  const byChunk = new Map<string, { hashPrefix: string; vector: number[] }>();
  for (const [customId, vector] of output.vectors) {
    const [chunkId, hashPrefix] = customId.split(".");
    if (chunkId && hashPrefix && z.uuid().safeParse(chunkId).success) byChunk.set(chunkId, { hashPrefix, vector });
  }
  let embedded = 0;
  let switched = 0;
  const ids = [...byChunk.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const outcome = await withTenant(run.tenantId, async (tx) => {
      const chunks = await tx
        .select({ id: c.id, documentId: c.documentId, content: c.content, heading: c.heading, contentHash: c.contentHash })
        .from(c)
        .where(and(inScope(run.tenantId, run.scope), eq(c.active, true), inArray(c.id, ids.slice(i, i + 500))));
      const current = chunks.filter((chunk) => chunk.contentHash.startsWith(byChunk.get(chunk.id)!.hashPrefix));
      return storeShadows(
        tx,
        run,
        current,
        current.map((chunk) => byChunk.get(chunk.id)!.vector),
      );
    });
    embedded += outcome.embedded;
    switched += outcome.switched;
  }
  await updateBatch(run, submitted.batchId, { status: "applied", outputFileId, finishedAt: new Date() });
  return { embedded, failed: row.requestCount - output.vectors.size, switched };
}

/** After a rollback: cancel the batches at the provider and release what they had reserved. */
export async function cancelRolledBackBatches(
  tenantId: string,
  batches: Array<{ id: string; providerBatchId: string | null; provider: string; model: string; reservation: unknown }>,
): Promise<void> {
  const gateway = getGateway();
  for (const batch of batches) {
    const target = { provider: batch.provider as ProviderName, model: batch.model };
    const reservation = reservationSchema.safeParse(batch.reservation);
    if (batch.providerBatchId) {
      await cancelEmbeddingBatch(gateway, target, batch.providerBatchId).catch((error: unknown) =>
        log.warn({ err: error, batchId: batch.id }, "could not cancel a provider batch after a rollback"),
      );
    }
    await releaseEmbeddingBatch(gateway, callContext({ tenantId }, batch.id), target, reservation.success ? reservation.data : null);
  }
}
