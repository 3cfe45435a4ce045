// The first step of a run, and what an admin sees before starting one: which model the tenant's
// chunks should be on, how many are not (chunks, tokens, documents), what re-embedding them costs,
// and whether the provider's batch API (about half price) would be used.
import { and, desc, eq, sql } from "drizzle-orm";
import { documentChunks as c, jobs, type Job } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { embeddingBatchSupported } from "@/lib/ai/gateway/embed-batch";
import { batchCostMicroUsd, costMicroUsd } from "@/lib/ai/pricing";
import { updateJobIn } from "@/lib/jobs/progress";
import type { TenantContext } from "@/lib/tenancy/context";
import { insertReembedJob, lockWantedJob, REEMBED_JOB_KIND } from "./lifecycle";
import { reembedSettingsFromEnv, type ReembedSettings } from "./settings";
import { countStale, embeddingTargetFor, type StaleCounts } from "./stale-chunks";
import { uuidFromName, type EmbeddingTarget, type ReembedInput, type ReembedRun, type ReembedScope } from "./types";
import { hasRole } from "@/lib/tenancy/roles";
import { KeelError } from "@/lib/errors";

function usesBatch(scope: ReembedScope, counts: StaleCounts, target: EmbeddingTarget, settings: ReembedSettings, mode: ReembedInput["mode"]): boolean {
  return mode === "auto" && scope.kind === "tenant" && counts.chunks >= settings.batchMinChunks && embeddingBatchSupported(getGateway(), target);
}

const describeCount = (counts: StaleCounts) =>
  `${counts.chunks} passage${counts.chunks === 1 ? "" : "s"} in ${counts.documents} document${counts.documents === 1 ? "" : "s"}`;

/**
 * Counts what is stale and starts the job: the requested one, or for a scheduled run one named by
 * its event (so a replay finds the same row). Nothing stale: no run (and a requested job succeeds
 * at once, saying so).
 */
export async function planReembed(input: ReembedInput): Promise<ReembedRun | null> {
  const target = await embeddingTargetFor(input.tenantId);
  const settings = reembedSettingsFromEnv();
  return withTenant(input.tenantId, async (tx) => {
    const counts = await countStale(tx, input.tenantId, input.scope, target);
    if (input.jobId) await lockWantedJob(tx, { tenantId: input.tenantId, jobId: input.jobId });
    if (counts.chunks === 0) {
      if (input.jobId) {
        await updateJobIn(tx, input.tenantId, input.jobId, {
          status: "succeeded",
          stage: "ready",
          message: `Nothing to re-embed: every passage uses ${target.model}.`,
        });
      }
      return null;
    }
    const jobId = input.jobId ?? uuidFromName(`reembed-job:${input.tenantId}:${input.origin}`);
    if (!input.jobId) await insertReembedJob(tx, input.tenantId, jobId, null);
    // A run resumed or handed over keeps the job's progress: what is still pending is what is left
    // (stale chunks whose shadow is already stored need no new vector, only the switch).
    const job = await lockWantedJob(tx, { tenantId: input.tenantId, jobId });
    const carried = job.status === "running" ? job.done : 0;
    const pending = await countStale(tx, input.tenantId, input.scope, target, true);
    const mode = usesBatch(input.scope, counts, target, settings, input.mode) ? "batch" : "online";
    await updateJobIn(tx, input.tenantId, jobId, {
      status: "running",
      stage: "embedding",
      done: carried,
      total: carried + pending.chunks,
      message: `Re-embedding ${describeCount(counts)} with ${target.model}${mode === "batch" ? " through the provider's batch API" : ""}`,
    });
    return {
      tenantId: input.tenantId,
      scope: input.scope,
      jobId,
      target,
      mode,
      totalChunks: counts.chunks,
      totalTokens: counts.tokens,
      documents: counts.documents,
      settings,
    };
  });
}

export interface ReembedEstimate {
  target: EmbeddingTarget;
  chunks: number;
  tokens: number;
  documents: number;
  /** What the run would cost, at the price it would get (batch or online). */
  costMicroUsd: number;
  onlineCostMicroUsd: number;
  usesBatch: boolean;
  /** Chunks holding a shadow vector: a run under way, or the partial set of one that failed. */
  partialChunks: number;
  /** The latest re-embedding job, for its progress or outcome. */
  latestJob: Job | null;
}

/** What a tenant-wide re-embedding would do now, for the admin to confirm. */
export async function estimateReembed(ctx: TenantContext): Promise<ReembedEstimate> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can re-embed documents.");
  const target = await embeddingTargetFor(ctx.tenantId);
  const settings = reembedSettingsFromEnv();
  const pricing = getGateway().config.pricing;
  const scope: ReembedScope = { kind: "tenant" };
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const counts = await countStale(tx, ctx.tenantId, scope, target);
      const [partial] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(c)
        .where(and(eq(c.tenantId, ctx.tenantId), sql`${c.nextEmbedding} is not null`));
      const [latestJob] = await tx
        .select()
        .from(jobs)
        .where(and(eq(jobs.tenantId, ctx.tenantId), eq(jobs.kind, REEMBED_JOB_KIND)))
        .orderBy(desc(jobs.createdAt))
        .limit(1);
      const batch = usesBatch(scope, counts, target, settings, "auto");
      const online = costMicroUsd(pricing, target.model, { inputTokens: counts.tokens, outputTokens: 0 });
      return {
        target,
        ...counts,
        costMicroUsd: batch ? batchCostMicroUsd(pricing, target.model, counts.tokens) : online,
        onlineCostMicroUsd: online,
        usesBatch: batch,
        partialChunks: Number(partial?.n ?? 0),
        latestJob: latestJob ?? null,
      };
    },
    { userId: ctx.userId },
  );
}
