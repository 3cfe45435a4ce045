// A job's progress as people see it: stage, done/total and a message on the job row, a history
// row when the stage or status changes, and a live message to every browser of the tenant.
import { and, eq } from "drizzle-orm";
import { jobEvents, jobs, type Job, type JobStatus } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { publish } from "./job-events";

export interface JobPatch {
  status?: JobStatus;
  stage?: string;
  done?: number;
  total?: number;
  message?: string | null;
  error?: string | null;
}

const finished = (status: JobStatus | undefined) => status === "succeeded" || status === "failed" || status === "cancelled";

/**
 * Applies `patch` to the job (inside `tx`, the caller's tenant transaction) unless the job has
 * already finished: a late progress report from a step that was cancelled changes nothing.
 */
export async function updateJobIn(tx: Tx, tenantId: string, jobId: string, patch: JobPatch): Promise<Job | null> {
  const [before] = await tx
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, jobId), eq(jobs.tenantId, tenantId)))
    .for("update");
  if (!before || finished(before.status)) return null;
  const now = new Date();
  const [job] = await tx
    .update(jobs)
    .set({
      ...patch,
      updatedAt: now,
      ...(patch.status === "running" && !before.startedAt ? { startedAt: now } : {}),
      ...(finished(patch.status) ? { finishedAt: now } : {}),
    })
    .where(eq(jobs.id, jobId))
    .returning();
  if (!job) return null;
  if (job.stage !== before.stage || job.status !== before.status) {
    await tx.insert(jobEvents).values({ tenantId, jobId, status: job.status, stage: job.stage, done: job.done, total: job.total, message: job.message });
  }
  await publish(tx, {
    type: "job",
    tenantId,
    jobId,
    documentId: job.documentId,
    status: job.status,
    stage: job.stage,
    done: job.done,
    total: job.total,
    message: job.message,
    at: now.toISOString(),
  });
  return job;
}

export function updateJob(tenantId: string, jobId: string, patch: JobPatch): Promise<Job | null> {
  return withTenant(tenantId, (tx) => updateJobIn(tx, tenantId, jobId, patch));
}
