// A re-embedding as people see it: one job row (kind "reembed") with progress, history and live
// messages like an analysis, a notification for whoever asked when it ends, and the two admin
// actions: start a tenant-wide run, and roll back (discard the partial new set). Documents keep
// their current vectors until their new set is complete, so a failed run changes nothing anyone
// searches; its shadows stay for the next run to resume from, until rolled back.
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { collections, documents, embeddingBatches, jobEvents, jobs, type Job } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { updateJobIn } from "@/lib/jobs/progress";
import { notifyIn } from "@/lib/notifications/notifications";
import { recordAudit } from "@/lib/tenancy/audit";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import { countStale, hasUsableShadow, inScope } from "./stale-chunks";
import { discardShadows, lockDocuments, switchCompleteDocuments } from "./switch-over";
import type { ReembedRun, ReembedScope } from "./types";
import { documentChunks as c } from "@/db/schema";

export const REEMBED_JOB_KIND = "reembed";
const ACTIVE = ["queued", "running"] as const;

/** The job was cancelled or rolled back: the run stops without failing anything. */
export class ReembedStopped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "ReembedStopped";
  }
}

/** Going on cannot help (the model or its dimension changed under the run): the run fails with this. */
export class ReembedCannotContinue extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReembedCannotContinue";
  }
}

/**
 * Inside a writing transaction: the run's job, locked first (before documents and chunks), so a
 * rollback (which updates the job row) waits for this write to commit, or this write sees the
 * rollback and stops. Locked for update, not share: the write updates the job's progress later in
 * the same transaction, and upgrading a share lock while a rollback waits would deadlock.
 */
export async function lockWantedJob(tx: Tx, run: Pick<ReembedRun, "tenantId" | "jobId">): Promise<Job> {
  const [job] = await tx
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, run.jobId), eq(jobs.tenantId, run.tenantId)))
    .for("update");
  if (!job || !ACTIVE.includes(job.status as (typeof ACTIVE)[number])) throw new ReembedStopped("The re-embedding was cancelled or rolled back.");
  return job;
}

export function assertRunWanted(run: Pick<ReembedRun, "tenantId" | "jobId">): Promise<Job> {
  return withTenant(run.tenantId, (tx) => lockWantedJob(tx, run));
}

export async function insertReembedJob(tx: Tx, tenantId: string, jobId: string, createdBy: string | null): Promise<void> {
  const inserted = await tx
    .insert(jobs)
    .values({ id: jobId, tenantId, kind: REEMBED_JOB_KIND, status: "queued", stage: "queued", message: "Waiting to start", createdBy })
    .onConflictDoNothing()
    .returning({ id: jobs.id });
  if (inserted.length > 0) await tx.insert(jobEvents).values({ tenantId, jobId, status: "queued", stage: "queued", message: "Waiting to start" });
}

export interface ReembedRequest {
  tenantId: string;
  scope: ReembedScope;
  jobId: string;
}

function requireAdmin(ctx: TenantContext): void {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can re-embed documents.");
}

async function activeReembedJob(tx: Tx, tenantId: string): Promise<Job | undefined> {
  const [job] = await tx
    .select()
    .from(jobs)
    .where(and(eq(jobs.tenantId, tenantId), eq(jobs.kind, REEMBED_JOB_KIND), inArray(jobs.status, [...ACTIVE])))
    .orderBy(desc(jobs.createdAt))
    .limit(1);
  return job;
}

/** An admin asks for a re-embedding: the job row now (so progress shows at once), the run by event. */
export function requestReembed(ctx: TenantContext, scope: ReembedScope): Promise<ReembedRequest> {
  requireAdmin(ctx);
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      // Serialises requests of one tenant, so two clicks cannot both start a run.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`reembed:${ctx.tenantId}`}, 0))`);
      if (await activeReembedJob(tx, ctx.tenantId)) throw new KeelError("conflict", "A re-embedding is already running in this workspace.");
      if (scope.kind === "collection") {
        const [found] = await tx
          .select({ id: collections.id })
          .from(collections)
          .where(and(eq(collections.id, scope.collectionId), eq(collections.tenantId, ctx.tenantId)));
        if (!found) throw new KeelError("not_found", "That collection does not exist.");
      }
      if (scope.kind === "document") {
        const [found] = await tx
          .select({ id: documents.id })
          .from(documents)
          .where(and(eq(documents.id, scope.documentId), eq(documents.tenantId, ctx.tenantId)));
        if (!found) throw new KeelError("not_found", "That document does not exist.");
      }
      const jobId = crypto.randomUUID();
      await insertReembedJob(tx, ctx.tenantId, jobId, ctx.userId);
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "embeddings.reembed_requested",
        targetType: "job",
        targetId: jobId,
        metadata: { scope: scope.kind },
      });
      return { tenantId: ctx.tenantId, scope, jobId };
    },
    { userId: ctx.userId },
  );
}

/** The job system did not take the run: say so on the job instead of leaving it queued. */
export async function markReembedNotStarted(request: ReembedRequest, reason: string): Promise<void> {
  await withTenant(request.tenantId, (tx) =>
    updateJobIn(tx, request.tenantId, request.jobId, { status: "failed", stage: "failed", message: reason, error: reason }),
  );
}

async function notifyRequester(tx: Tx, tenantId: string, job: Job | null, notice: { kind: string; title: string; body: string }): Promise<void> {
  if (job?.createdBy) await notifyIn(tx, tenantId, { userId: job.createdBy, link: "/settings#reembed-heading", ...notice });
}

/**
 * The run's last step: any document whose new set is complete is switched (a catch-all after a
 * resumed run), the job succeeds, and whoever asked is told.
 */
export async function finishReembed(run: ReembedRun): Promise<{ switched: number; left: number }> {
  return withTenant(run.tenantId, async (tx) => {
    await lockWantedJob(tx, run);
    const shadowed = await tx
      .selectDistinct({ documentId: c.documentId })
      .from(c)
      .where(and(inScope(run.tenantId, run.scope), eq(c.active, true), hasUsableShadow(run.target)));
    const ids = shadowed.map((r) => r.documentId);
    await lockDocuments(tx, run.tenantId, ids);
    const switched = await switchCompleteDocuments(tx, run.tenantId, run.target, ids);
    const left = (await countStale(tx, run.tenantId, run.scope, run.target)).chunks;
    const message =
      left === 0
        ? `Every passage now uses ${run.target.model}.`
        : `${left} passage${left === 1 ? "" : "s"} still use another model or changed meanwhile; the next scheduled run picks them up.`;
    const job = await updateJobIn(tx, run.tenantId, run.jobId, { status: "succeeded", stage: "ready", message });
    await notifyRequester(tx, run.tenantId, job, { kind: "embeddings.reembedded", title: "Re-embedding finished", body: message });
    return { switched: switched.length, left };
  });
}

/** The run failed for good: the job says why; documents keep the vectors they have. */
export async function failReembed(input: { tenantId: string; jobId: string | null }, message: string): Promise<void> {
  const jobId = input.jobId;
  if (!jobId) return;
  await withTenant(input.tenantId, async (tx) => {
    const job = await updateJobIn(tx, input.tenantId, jobId, { status: "failed", stage: "failed", message, error: message });
    await notifyRequester(tx, input.tenantId, job, { kind: "embeddings.reembed_failed", title: "Re-embedding failed", body: message });
  });
}

export interface RollbackResult {
  cancelledJobIds: string[];
  discardedChunks: number;
  /** Provider batches still running, to cancel at the provider (after this commits). */
  batches: Array<{ id: string; providerBatchId: string | null; provider: string; model: string; reservation: unknown }>;
}

/**
 * Rollback: the running job (if any) is cancelled, provider batches in flight are marked cancelled,
 * and every shadow vector of the tenant goes. Documents already switched stay switched (complete,
 * on one model); the others keep their old vectors. A write in flight either commits before this
 * (and is discarded with the rest) or sees the cancelled job and stops (lockWantedJob).
 */
export function rollbackReembed(ctx: TenantContext): Promise<RollbackResult> {
  requireAdmin(ctx);
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const running = await tx
        .select()
        .from(jobs)
        .where(and(eq(jobs.tenantId, ctx.tenantId), eq(jobs.kind, REEMBED_JOB_KIND), inArray(jobs.status, [...ACTIVE])));
      const message = "Rolled back: the partial new set was discarded; documents keep the vectors they had.";
      for (const job of running) await updateJobIn(tx, ctx.tenantId, job.id, { status: "cancelled", stage: "cancelled", message });
      const batches = await tx
        .update(embeddingBatches)
        .set({ status: "cancelled", error: "Rolled back", updatedAt: new Date(), finishedAt: new Date() })
        .where(and(eq(embeddingBatches.tenantId, ctx.tenantId), inArray(embeddingBatches.status, ["submitting", "submitted"])))
        .returning({
          id: embeddingBatches.id,
          providerBatchId: embeddingBatches.providerBatchId,
          provider: embeddingBatches.provider,
          model: embeddingBatches.model,
          reservation: embeddingBatches.reservation,
        });
      const discardedChunks = await discardShadows(tx, ctx.tenantId, { kind: "tenant" });
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "embeddings.reembed_rolled_back",
        targetType: "tenant",
        targetId: ctx.tenantId,
        metadata: { jobs: running.length, discardedChunks, batches: batches.length },
      });
      return { cancelledJobIds: running.map((j) => j.id), discardedChunks, batches };
    },
    { userId: ctx.userId },
  );
}
