// A workspace's exports (issue 19.7): an owner asks for one, a durable job writes it (table families
// as JSON and CSV, then one zip with the originals, streamed into storage), the owner downloads it
// through a guarded route, and it is deleted 7 days after it was written. Progress is the job row's
// (lib/jobs/progress.ts), so it reaches the Settings page live like an analysis's.
import { and, desc, eq, inArray, isNotNull, lte } from "drizzle-orm";
import { jobs, tenants, workspaceExports, type JobStatus } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { admitLeavingAttempt } from "@/lib/auth/leaving-throttle";
import { KeelError } from "@/lib/errors";
import { updateJob } from "@/lib/jobs/progress";
import { getBlobStore, type BlobStore } from "@/lib/storage";
import { recordAudit } from "@/lib/tenancy/audit";
import type { TenantContext } from "@/lib/tenancy/context";
import { exportFamilyNames } from "./export-tables";

const EXPORT_JOB_KIND = "workspace-export";
const EXPORT_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;

/** Progress counts the table families, then the archive. */
export const exportSteps = exportFamilyNames.length + 1;

export interface ExportRequest {
  tenantId: string;
  /** The owner who asked: the export is read as them. */
  userId: string;
  jobId: string;
}

function ownerOnly(ctx: TenantContext, what: string): void {
  if (ctx.role !== "owner") throw new KeelError("forbidden", `Only an owner can ${what}.`);
}

/** Starts an export: its job and row, counted against the workspace's allowance (3 a day). */
export async function requestWorkspaceExport(ctx: TenantContext, now = new Date()): Promise<ExportRequest> {
  ownerOnly(ctx, "export the workspace");
  const running = await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.tenantId, ctx.tenantId), eq(jobs.kind, EXPORT_JOB_KIND), inArray(jobs.status, ["queued", "running"]))),
    { userId: ctx.userId },
  );
  if (running.length > 0) throw new KeelError("conflict", "An export of this workspace is already under way: its progress is below.");
  await admitLeavingAttempt("exportPerWorkspace", ctx.tenantId, "This workspace has been exported 3 times today.", now);
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const [job] = await tx
        .insert(jobs)
        .values({
          tenantId: ctx.tenantId,
          kind: EXPORT_JOB_KIND,
          status: "queued",
          stage: "queued",
          total: exportSteps,
          createdBy: ctx.userId,
          message: "Waiting to start…",
        })
        .returning({ id: jobs.id });
      await tx.insert(workspaceExports).values({
        jobId: job!.id,
        tenantId: ctx.tenantId,
        requestedBy: ctx.userId,
        expiresAt: new Date(now.getTime() + EXPORT_RETENTION_DAYS * DAY_MS),
      });
      await recordAudit(tx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, action: "tenant.export_requested", targetType: "job", targetId: job!.id });
      return { tenantId: ctx.tenantId, userId: ctx.userId, jobId: job!.id };
    },
    { userId: ctx.userId },
  );
}

interface ExportSummary {
  id: string;
  status: JobStatus;
  stage: string;
  done: number;
  total: number;
  message: string | null;
  createdAt: Date;
  /** Set once the zip is written. */
  bytes: number | null;
  expiresAt: Date;
}

/** The workspace's exports not yet expired, newest first. */
export async function listWorkspaceExports(ctx: TenantContext, now = new Date()): Promise<ExportSummary[]> {
  ownerOnly(ctx, "see the workspace's exports");
  const rows = await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select({
          id: jobs.id,
          status: jobs.status,
          stage: jobs.stage,
          done: jobs.done,
          total: jobs.total,
          message: jobs.message,
          createdAt: workspaceExports.createdAt,
          bytes: workspaceExports.bytes,
          expiresAt: workspaceExports.expiresAt,
        })
        .from(workspaceExports)
        .innerJoin(jobs, eq(jobs.id, workspaceExports.jobId))
        .where(eq(workspaceExports.tenantId, ctx.tenantId))
        .orderBy(desc(workspaceExports.createdAt))
        .limit(5),
    { userId: ctx.userId },
  );
  return rows.filter((row) => row.expiresAt > now);
}

export function exportArchiveKey(tenantId: string, jobId: string): string {
  return `${tenantId}/${jobId}/export-zip`;
}

/** Records the written zip; its 7 days start now. */
export async function recordExportArchive(request: ExportRequest, bytes: number, now = new Date()): Promise<void> {
  await withTenant(
    request.tenantId,
    (tx) =>
      tx
        .update(workspaceExports)
        .set({ storageKey: exportArchiveKey(request.tenantId, request.jobId), bytes, expiresAt: new Date(now.getTime() + EXPORT_RETENTION_DAYS * DAY_MS) })
        .where(and(eq(workspaceExports.jobId, request.jobId), eq(workspaceExports.tenantId, request.tenantId))),
    { userId: request.userId },
  );
}

/** Says on the job, in words for people, why the export stopped; a no-op once the job has ended. */
export async function failExport(request: Pick<ExportRequest, "tenantId" | "jobId">, message: string): Promise<void> {
  await updateJob(request.tenantId, request.jobId, { status: "failed", stage: "failed", message, error: message });
}

interface ExportDownload {
  fileName: string;
  bytes: number;
  body: AsyncIterable<Uint8Array>;
}

/** The zip of one finished export of this workspace, for its owners; anything else is "not found". */
export async function openExportDownload(ctx: TenantContext, jobId: string, now = new Date(), store: BlobStore = getBlobStore()): Promise<ExportDownload> {
  ownerOnly(ctx, "download the workspace's exports");
  await admitLeavingAttempt("exportDownload", ctx.userId, "Too many export downloads.", now);
  const [row] = await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select({
          storageKey: workspaceExports.storageKey,
          bytes: workspaceExports.bytes,
          expiresAt: workspaceExports.expiresAt,
          slug: tenants.slug,
          createdAt: workspaceExports.createdAt,
        })
        .from(workspaceExports)
        .innerJoin(tenants, eq(tenants.id, workspaceExports.tenantId))
        .where(and(eq(workspaceExports.jobId, jobId), eq(workspaceExports.tenantId, ctx.tenantId), isNotNull(workspaceExports.storageKey))),
    { userId: ctx.userId },
  );
  if (!row || !row.storageKey || row.expiresAt <= now) throw new KeelError("not_found", "That export does not exist or has expired.");
  const body = await store.stream(row.storageKey);
  if (!body) throw new KeelError("not_found", "That export does not exist or has expired.");
  return { fileName: `keel-${row.slug}-${row.createdAt.toISOString().slice(0, 10)}.zip`, bytes: row.bytes ?? 0, body };
}

/** Deletes exports past their 7 days, files first; returns how many. The one cross-tenant read of exports. */
export async function purgeExpiredExports(now = new Date(), store: BlobStore = getBlobStore()): Promise<number> {
  const expired = await withSystem("export retention: which have expired", (tx) =>
    tx
      .select({ tenantId: workspaceExports.tenantId, jobId: workspaceExports.jobId })
      .from(workspaceExports)
      .where(lte(workspaceExports.expiresAt, now))
      .limit(500),
  );
  for (const { tenantId, jobId } of expired) {
    for (const key of await store.list(`${tenantId}/${jobId}/`)) await store.delete(key);
    await withSystem("export retention: forget an expired export", (tx) => tx.delete(workspaceExports).where(eq(workspaceExports.jobId, jobId)));
  }
  return expired.length;
}
