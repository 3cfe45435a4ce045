// The export job's steps (inngest/functions/export-workspace.ts): each table family, then the zip.
// Every step can run again after a crash: a family rewrites its files, the archive is rewritten
// from them, and the job's progress only moves forward.
import { and, asc, eq, gt, type SQL } from "drizzle-orm";
import { documents } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { safeFileName } from "@/lib/documents/file-name";
import { updateJob } from "@/lib/jobs/progress";
import { getBlobStore, type BlobStore } from "@/lib/storage";
import type { TenantContext } from "@/lib/tenancy/context";
import { findMembershipRole } from "@/lib/tenancy/members";
import { exportFamilyNames, exportFiles, exportPartKey, writeExportFamily, type ExportFamily } from "./export-tables";
import { exportArchiveKey, exportSteps, recordExportArchive, type ExportRequest } from "./workspace-exports";
import { utf8, zipStream, type ZipEntry } from "./zip-stream";

/** Thrown when the export cannot go on (the requester is no longer an owner): not retried. */
export class ExportStopped extends Error {}

const familyLabels: Record<ExportFamily, string> = {
  documents: "documents",
  analyses: "analyses",
  conversations: "conversations",
  usage: "usage",
  audit: "the audit log",
};

/** The requester as the export reads: still an owner, or the export stops. */
async function exporter(request: ExportRequest): Promise<TenantContext> {
  const role = await findMembershipRole(request.tenantId, request.userId);
  if (role !== "owner") throw new ExportStopped("The export stopped: the person who asked for it is no longer an owner of this workspace.");
  return { tenantId: request.tenantId, userId: request.userId, role };
}

export async function exportFamilyStep(request: ExportRequest, family: ExportFamily, store: BlobStore = getBlobStore()): Promise<Record<string, number>> {
  const ctx = await exporter(request);
  const index = exportFamilyNames.indexOf(family);
  await updateJob(request.tenantId, request.jobId, {
    status: "running",
    stage: family,
    done: index,
    total: exportSteps,
    message: `Exporting ${familyLabels[family]}…`,
  });
  return writeExportFamily(ctx, request.jobId, family, store);
}

/** An original's path in the archive: its own folder (names repeat), its name made safe for any disk. */
export function originalEntryName(documentId: string, name: string): string {
  const safe = safeFileName(name).replace(/[<>:"|?*\\/]/g, "_");
  return `originals/${documentId}/${safe}`;
}

const readme = (createdAt: Date) =>
  [
    `Keel workspace export, written ${createdAt.toISOString()}.`,
    "",
    "Each table is here twice: as JSON (every value exactly) and as CSV (values that a spreadsheet",
    "would run as a formula start with an apostrophe). Times are UTC, ISO 8601.",
    "",
    "collections, documents   the workspace's collections and documents",
    "analyses                 each document's analysis (summary, key points, entities)",
    "conversations, messages  the conversations of the owner who exported (each person's are private)",
    "usage-events             every metered model call",
    "audit-log                who changed what",
    "originals/<document id>/ the files as they were uploaded",
    "",
  ].join("\n");

async function* originals(ctx: TenantContext, store: BlobStore): AsyncGenerator<ZipEntry> {
  let after: string | null = null;
  for (;;) {
    const conditions: Array<SQL | undefined> = [eq(documents.tenantId, ctx.tenantId), after === null ? undefined : gt(documents.id, after)];
    const page: Array<{ id: string; name: string; storageKey: string; createdAt: Date }> = await withTenant(
      ctx.tenantId,
      (tx) =>
        tx
          .select({ id: documents.id, name: documents.name, storageKey: documents.storageKey, createdAt: documents.createdAt })
          .from(documents)
          .where(and(...conditions))
          .orderBy(asc(documents.id))
          .limit(200),
      { userId: ctx.userId },
    );
    for (const document of page) {
      const data = await store.stream(document.storageKey);
      // A document deleted while the export ran has no original any more: leave it out.
      if (data) yield { name: originalEntryName(document.id, document.name), data, compress: false, modified: document.createdAt };
    }
    if (page.length < 200) return;
    after = page[page.length - 1]!.id;
  }
}

async function* archiveEntries(ctx: TenantContext, jobId: string, store: BlobStore, now: Date): AsyncGenerator<ZipEntry> {
  yield { name: "README.txt", data: utf8([readme(now)]), compress: true, modified: now };
  for (const file of exportFiles) {
    const data = await store.stream(exportPartKey(ctx, jobId, file));
    if (!data) throw new Error(`The export's ${file} is missing: its step did not write it.`);
    yield { name: file, data, compress: true, modified: now };
  }
  yield* originals(ctx, store);
}

/** Writes the zip from the families' files and the originals, streamed into storage; then drops the parts. */
export async function writeArchiveStep(request: ExportRequest, store: BlobStore = getBlobStore(), now = new Date()): Promise<{ bytes: number }> {
  const ctx = await exporter(request);
  await updateJob(request.tenantId, request.jobId, {
    status: "running",
    stage: "archive",
    done: exportFamilyNames.length,
    total: exportSteps,
    message: "Writing the zip…",
  });
  let bytes = 0;
  const counted = async function* () {
    for await (const chunk of zipStream(archiveEntries(ctx, request.jobId, store, now))) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  await store.put(exportArchiveKey(request.tenantId, request.jobId), counted());
  for (const file of exportFiles) await store.delete(exportPartKey(ctx, request.jobId, file));
  await recordExportArchive(request, bytes, now);
  await updateJob(request.tenantId, request.jobId, {
    status: "succeeded",
    stage: "ready",
    done: exportSteps,
    total: exportSteps,
    message: "Ready to download.",
  });
  return { bytes };
}
