// What a browser needs when it (re)connects to the live stream: the tenant's jobs still running,
// and the caller's unread notification count, so a missed message costs nothing.
import { and, desc, eq, inArray } from "drizzle-orm";
import { jobs } from "@/db/schema";
import { withTenant } from "@/db/scope";
import type { TenantContext } from "@/lib/tenancy/context";
import type { JobUpdate } from "./job-events";

export async function activeJobUpdates(ctx: TenantContext): Promise<JobUpdate[]> {
  const rows = await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select()
        .from(jobs)
        .where(and(eq(jobs.tenantId, ctx.tenantId), inArray(jobs.status, ["queued", "running"])))
        .orderBy(desc(jobs.createdAt))
        .limit(200),
    { userId: ctx.userId },
  );
  return rows.map((job) => ({
    type: "job",
    tenantId: job.tenantId,
    jobId: job.id,
    documentId: job.documentId,
    status: job.status,
    stage: job.stage,
    done: job.done,
    total: job.total,
    message: job.message,
    at: job.updatedAt.toISOString(),
  }));
}
