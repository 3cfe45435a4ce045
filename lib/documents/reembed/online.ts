// One online step of a run: the next pending chunks (a document's together) are embedded in one
// gateway call (routed, held to the quota, metered), written as shadow vectors, and every document
// whose new set is now complete is switched over, all in one transaction. The step is idempotent
// and resumable: it takes whatever is still pending, so a replay after a crash (before or after the
// write committed) embeds only what has no shadow yet and writes nothing twice.
import { withTenant } from "@/db/scope";
import type { Tx } from "@/db/client";
import { updateJobIn } from "@/lib/jobs/progress";
import { embedPassages } from "../embed-passages";
import { embeddingInput } from "../embedding-input";
import { assertRunWanted, lockWantedJob, ReembedCannotContinue } from "./lifecycle";
import { countStale, nextPendingChunks, writeShadow, type PendingChunk } from "./stale-chunks";
import { lockDocuments, switchCompleteDocuments } from "./switch-over";
import type { ReembedRun } from "./types";

export interface StepOutcome {
  embedded: number;
  switched: number;
  /** Chunks in scope still pending after this step. */
  remaining: number;
}

/**
 * Writes vectors for `chunks` as shadows and switches the documents that are complete, inside the
 * caller's transaction, then reports progress on the job. Shared by online steps and batch results.
 */
export async function storeShadows(
  tx: Tx,
  run: ReembedRun,
  chunks: PendingChunk[],
  vectors: ReadonlyArray<readonly number[] | undefined>,
): Promise<StepOutcome> {
  const job = await lockWantedJob(tx, run);
  const documentIds = [...new Set(chunks.map((chunk) => chunk.documentId))];
  await lockDocuments(tx, run.tenantId, documentIds);
  let embedded = 0;
  for (const [i, chunk] of chunks.entries()) {
    const vector = vectors[i];
    if (vector && (await writeShadow(tx, run.tenantId, chunk, run.target.model, vector))) embedded += 1;
  }
  const switched = await switchCompleteDocuments(tx, run.tenantId, run.target, documentIds);
  const remaining = (await countStale(tx, run.tenantId, run.scope, run.target, true)).chunks;
  const done = Math.max(job.done, job.total - remaining);
  await updateJobIn(tx, run.tenantId, run.jobId, {
    stage: "embedding",
    done,
    total: job.total,
    message: `Re-embedded ${done} of ${job.total} passages with ${run.target.model}`,
  });
  return { embedded, switched: switched.length, remaining };
}

export async function embedNextBatch(run: ReembedRun): Promise<StepOutcome> {
  await assertRunWanted(run);
  const pending = await withTenant(run.tenantId, (tx) => nextPendingChunks(tx, run.tenantId, run.scope, run.target, run.settings.chunksPerStep));
  if (pending.length === 0) return { embedded: 0, switched: 0, remaining: 0 };
  // No fixed request id: a step replayed after a crash really calls the model again, and is billed.
  const result = await embedPassages({ tenantId: run.tenantId, userId: null, feature: "document-reembedding" }, pending.map(embeddingInput));
  assertTarget(run, result.model, result.embeddings);
  return withTenant(run.tenantId, (tx) => storeShadows(tx, run, pending, result.embeddings));
}

/** Vectors of another model or dimension than planned must never be stored: the run stops. */
export function assertTarget(run: ReembedRun, model: string, vectors: ReadonlyArray<readonly number[]>): void {
  if (model !== run.target.model) {
    throw new ReembedCannotContinue(
      `The embedding model changed from ${run.target.model} to ${model} during the re-embedding; the next run continues with ${model}.`,
    );
  }
  const wrong = vectors.find((vector) => vector.length !== run.target.dimensions);
  if (wrong) throw new ReembedCannotContinue(`${model} answered ${wrong.length}-dimensional vectors; this deployment stores ${run.target.dimensions}.`);
}
