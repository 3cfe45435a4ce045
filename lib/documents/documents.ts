// Documents as people handle them: upload (type by content, size and storage limits, original
// kept in the blob store), list, look at, re-analyse, cancel, delete. Every query runs in the
// tenant's scope; every id from a request is checked against the tenant in the query itself.
import { createHash, randomUUID } from "node:crypto";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import {
  collections,
  documentChunks,
  documents,
  jobEvents,
  jobs,
  tenants,
  type Document,
  type DocumentChunk,
  type Job,
  type JobEvent,
  type PlanTier,
} from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { log } from "@/lib/observability/log";
import { getBlobStore, documentBlobKey, type BlobStore } from "@/lib/storage";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import { publish, publishDocumentChange } from "@/lib/jobs/job-events";
import { updateJobIn } from "@/lib/jobs/progress";
import { resolveCollection } from "./collections";
import { detectDocumentKind } from "./detect-kind";
import { refuseDuplicateContent } from "./duplicates";
import { DocumentRejected } from "./errors";
import { safeFileName } from "./file-name";
import { documentLimitsFromEnv, formatBytes, type DocumentLimits } from "./limits";

/** What the caller sends to start an analysis (as an Inngest event). */
export interface AnalysisRequest {
  tenantId: string;
  documentId: string;
  jobId: string;
  version: number;
  /** Seconds ahead in the queue: bigger plans wait less. */
  priority: number;
}

const PRIORITY: Record<PlanTier, number> = { free: 0, pro: 60, enterprise: 120 };

export interface UploadDeps {
  store?: BlobStore;
  limits?: DocumentLimits;
}

async function lockTenantStorage(tx: Tx, tenantId: string): Promise<void> {
  // Serialises this tenant's uploads, so two at once cannot both fit under the quota.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`storage:${tenantId}`}, 0))`);
}

async function newJob(tx: Tx, tenantId: string, documentId: string, createdBy: string): Promise<Job> {
  const [job] = await tx
    .insert(jobs)
    .values({ tenantId, kind: "analyze-document", documentId, status: "queued", stage: "queued", message: "Waiting to start", createdBy })
    .returning();
  await tx.insert(jobEvents).values({ tenantId, jobId: job!.id, status: "queued", stage: "queued", message: job!.message });
  await publish(tx, {
    type: "job",
    tenantId,
    jobId: job!.id,
    documentId,
    status: job!.status,
    stage: job!.stage,
    done: job!.done,
    total: job!.total,
    message: job!.message,
    at: job!.updatedAt.toISOString(),
  });
  return job!;
}

async function priorityOf(tx: Tx, tenantId: string): Promise<number> {
  const [tenant] = await tx.select({ plan: tenants.plan }).from(tenants).where(eq(tenants.id, tenantId));
  return PRIORITY[tenant?.plan ?? "free"];
}

/**
 * Takes one uploaded file: refuses what Keel cannot read or store (with the reason), keeps the
 * original, and creates the document with its first analysis job. The caller sends the returned
 * request to the job system.
 */
export async function acceptUpload(
  ctx: TenantContext,
  input: { fileName: string; bytes: Uint8Array; collectionId: string | null },
  deps: UploadDeps = {},
): Promise<{ document: Document; request: AnalysisRequest }> {
  const limits = deps.limits ?? documentLimitsFromEnv();
  const store = deps.store ?? getBlobStore();
  const name = safeFileName(input.fileName);
  if (input.bytes.length > limits.maxFileBytes) {
    throw new DocumentRejected(
      "too_large",
      `This file is ${formatBytes(input.bytes.length)}; the largest file Keel takes is ${formatBytes(limits.maxFileBytes)}.`,
    );
  }
  const kind = detectDocumentKind(input.bytes, name);
  const documentId = randomUUID();
  const storageKey = documentBlobKey(ctx.tenantId, documentId);
  const sha256 = createHash("sha256").update(input.bytes).digest("hex");
  let stored = false;
  try {
    return await withTenant(
      ctx.tenantId,
      async (tx) => {
        await lockTenantStorage(tx, ctx.tenantId);
        const collection = await resolveCollection(tx, ctx.tenantId, input.collectionId);
        // Before the quota: a file that is already here needs no room, and saying so helps more.
        await refuseDuplicateContent(tx, ctx.tenantId, collection.id, sha256);
        const [usage] = await tx
          .select({ bytes: sql<string>`coalesce(sum(${documents.sizeBytes}), 0)` })
          .from(documents)
          .where(eq(documents.tenantId, ctx.tenantId));
        const used = Number(usage?.bytes ?? 0);
        if (used + input.bytes.length > limits.tenantStorageBytes) {
          throw new DocumentRejected(
            "storage_quota",
            `This workspace stores ${formatBytes(used)} of its ${formatBytes(limits.tenantStorageBytes)}; this ${formatBytes(input.bytes.length)} file does not fit. Delete documents you no longer need, or ask an admin to raise the limit.`,
          );
        }
        const [document] = await tx
          .insert(documents)
          .values({
            id: documentId,
            tenantId: ctx.tenantId,
            collectionId: collection.id,
            name,
            kind,
            sizeBytes: input.bytes.length,
            sha256,
            storageKey,
            status: "queued",
            version: 1,
            uploadedBy: ctx.userId,
          })
          .returning();
        const job = await newJob(tx, ctx.tenantId, documentId, ctx.userId);
        await publishDocumentChange(tx, ctx.tenantId, documentId, "created", {
          name,
          kind,
          sizeBytes: input.bytes.length,
          collectionId: collection.id,
          collectionName: collection.name,
          createdAt: document!.createdAt.toISOString(),
        });
        // Stored inside the transaction: if storing fails, no document row is left pointing at nothing.
        await store.put(storageKey, input.bytes);
        stored = true;
        return {
          document: document!,
          request: { tenantId: ctx.tenantId, documentId, jobId: job.id, version: 1, priority: await priorityOf(tx, ctx.tenantId) },
        };
      },
      { userId: ctx.userId },
    );
  } catch (error) {
    // The transaction failed after the file was stored: no row points at it, so remove it.
    if (stored) await store.delete(storageKey).catch((e: unknown) => log.error({ err: e, storageKey }, "could not remove an orphan upload"));
    throw error;
  }
}

/** The analysis could not be handed to the job system: say so on the document, so it can be retried. */
export async function markAnalysisNotStarted(request: AnalysisRequest, reason: string): Promise<void> {
  await withTenant(request.tenantId, async (tx) => {
    await tx
      .update(documents)
      .set({ status: "failed", error: reason, errorCode: "not_started", updatedAt: new Date() })
      .where(and(eq(documents.id, request.documentId), eq(documents.tenantId, request.tenantId)));
    await updateJobIn(tx, request.tenantId, request.jobId, { status: "failed", stage: "failed", message: reason, error: reason });
  });
}

export interface DocumentListItem extends Document {
  collectionName: string;
  job: Pick<Job, "id" | "status" | "stage" | "done" | "total" | "message"> | null;
}

/** The tenant's documents, newest first, each with its latest job (for live progress). */
export function listDocuments(ctx: TenantContext, options: { collectionId?: string | null; limit?: number } = {}): Promise<DocumentListItem[]> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const rows = await tx
        .select({ document: documents, collectionName: collections.name })
        .from(documents)
        .innerJoin(collections, eq(collections.id, documents.collectionId))
        .where(and(eq(documents.tenantId, ctx.tenantId), options.collectionId ? eq(documents.collectionId, options.collectionId) : undefined))
        .orderBy(desc(documents.createdAt))
        .limit(options.limit ?? 200);
      const latest = await latestJobs(
        tx,
        ctx.tenantId,
        rows.map((r) => r.document.id),
      );
      return rows.map((r) => ({ ...r.document, collectionName: r.collectionName, job: latest.get(r.document.id) ?? null }));
    },
    { userId: ctx.userId },
  );
}

async function latestJobs(tx: Tx, tenantId: string, documentIds: string[]) {
  const latest = new Map<string, DocumentListItem["job"]>();
  if (documentIds.length === 0) return latest;
  const rows = await tx
    .selectDistinctOn([jobs.documentId], {
      documentId: jobs.documentId,
      id: jobs.id,
      status: jobs.status,
      stage: jobs.stage,
      done: jobs.done,
      total: jobs.total,
      message: jobs.message,
    })
    .from(jobs)
    .where(and(eq(jobs.tenantId, tenantId), inArray(jobs.documentId, documentIds)))
    .orderBy(jobs.documentId, desc(jobs.createdAt));
  for (const { documentId, ...job } of rows) if (documentId) latest.set(documentId, job);
  return latest;
}

export interface DocumentDetail {
  document: Document;
  collectionName: string;
  job: Job | null;
  history: JobEvent[];
}

/** One document, or `not_found` — also for another tenant's id, which this scope cannot see. */
export function getDocumentDetail(ctx: TenantContext, documentId: string): Promise<DocumentDetail> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const [row] = await tx
        .select({ document: documents, collectionName: collections.name })
        .from(documents)
        .innerJoin(collections, eq(collections.id, documents.collectionId))
        .where(and(eq(documents.id, documentId), eq(documents.tenantId, ctx.tenantId)));
      if (!row) throw new KeelError("not_found", "That document does not exist.");
      const documentJobs = await tx
        .select()
        .from(jobs)
        .where(and(eq(jobs.tenantId, ctx.tenantId), eq(jobs.documentId, documentId)))
        .orderBy(desc(jobs.createdAt));
      const history = documentJobs.length
        ? await tx
            .select()
            .from(jobEvents)
            .where(
              and(
                eq(jobEvents.tenantId, ctx.tenantId),
                inArray(
                  jobEvents.jobId,
                  documentJobs.map((j) => j.id),
                ),
              ),
            )
            .orderBy(desc(jobEvents.createdAt))
            .limit(100)
        : [];
      return { document: row.document, collectionName: row.collectionName, job: documentJobs[0] ?? null, history };
    },
    { userId: ctx.userId },
  );
}

export interface ChunkPage {
  chunks: Pick<DocumentChunk, "id" | "chunkIndex" | "content" | "heading" | "pageStart" | "pageEnd" | "tokenCount" | "embeddingModel">[];
  total: number;
}

/** The searchable chunks of a document (its active version), a page at a time. */
export function listDocumentChunks(ctx: TenantContext, documentId: string, options: { offset?: number; limit?: number } = {}): Promise<ChunkPage> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const where = and(eq(documentChunks.tenantId, ctx.tenantId), eq(documentChunks.documentId, documentId), eq(documentChunks.active, true));
      const chunks = await tx
        .select({
          id: documentChunks.id,
          chunkIndex: documentChunks.chunkIndex,
          content: documentChunks.content,
          heading: documentChunks.heading,
          pageStart: documentChunks.pageStart,
          pageEnd: documentChunks.pageEnd,
          tokenCount: documentChunks.tokenCount,
          embeddingModel: documentChunks.embeddingModel,
        })
        .from(documentChunks)
        .where(where)
        .orderBy(documentChunks.chunkIndex)
        .offset(options.offset ?? 0)
        .limit(Math.min(options.limit ?? 50, 200));
      const [total] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(documentChunks)
        .where(where);
      return { chunks, total: Number(total?.n ?? 0) };
    },
    { userId: ctx.userId },
  );
}

async function lockDocument(tx: Tx, tenantId: string, documentId: string): Promise<Document> {
  const [document] = await tx
    .select()
    .from(documents)
    .where(and(eq(documents.id, documentId), eq(documents.tenantId, tenantId)))
    .for("update");
  if (!document) throw new KeelError("not_found", "That document does not exist.");
  return document;
}

async function activeJob(tx: Tx, tenantId: string, documentId: string): Promise<Job | undefined> {
  const [job] = await tx
    .select()
    .from(jobs)
    .where(and(eq(jobs.tenantId, tenantId), eq(jobs.documentId, documentId), inArray(jobs.status, ["queued", "running"])))
    .orderBy(desc(jobs.createdAt))
    .limit(1);
  return job;
}

/** A new analysis (new version) of a document that is not being analysed now: re-analyse or retry. */
export function requestReanalysis(ctx: TenantContext, documentId: string): Promise<AnalysisRequest> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const document = await lockDocument(tx, ctx.tenantId, documentId);
      if (await activeJob(tx, ctx.tenantId, documentId))
        throw new KeelError("conflict", "This document is being analysed right now. Cancel that first, or wait for it.");
      const version = document.version + 1;
      await tx
        .update(documents)
        .set({ version, status: document.activeVersion ? document.status : "queued", error: null, errorCode: null, updatedAt: new Date() })
        .where(eq(documents.id, documentId));
      const job = await newJob(tx, ctx.tenantId, documentId, ctx.userId);
      return { tenantId: ctx.tenantId, documentId, jobId: job.id, version, priority: await priorityOf(tx, ctx.tenantId) };
    },
    { userId: ctx.userId },
  );
}

/**
 * Stops a queued or running analysis: the job is cancelled at once (steps still in flight find it
 * so and stop), the half-built version is removed, and a document that had an earlier analysis
 * keeps it. Returns the job to cancel in the job system.
 */
export function cancelAnalysis(ctx: TenantContext, documentId: string): Promise<{ jobId: string }> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const document = await lockDocument(tx, ctx.tenantId, documentId);
      const job = await activeJob(tx, ctx.tenantId, documentId);
      if (!job) throw new KeelError("conflict", "This document is not being analysed.");
      await updateJobIn(tx, ctx.tenantId, job.id, { status: "cancelled", stage: "cancelled", message: "Cancelled" });
      await tx
        .delete(documentChunks)
        .where(and(eq(documentChunks.tenantId, ctx.tenantId), eq(documentChunks.documentId, documentId), eq(documentChunks.version, document.version)));
      await tx
        .update(documents)
        .set({ status: document.activeVersion ? "ready" : "cancelled", updatedAt: new Date() })
        .where(eq(documents.id, documentId));
      return { jobId: job.id };
    },
    { userId: ctx.userId },
  );
}

/**
 * Deletes a document with everything derived from it: chunks and embeddings (by cascade), the
 * cached answers that cite any of its chunks, and the original file. Uploaders may delete their
 * own documents; admins any. Returns a running job to cancel in the job system, if there was one.
 */
export async function deleteDocument(ctx: TenantContext, documentId: string, deps: { store?: BlobStore } = {}): Promise<{ cancelledJobId: string | null }> {
  const store = deps.store ?? getBlobStore();
  const { storageKey, cancelledJobId } = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const document = await lockDocument(tx, ctx.tenantId, documentId);
      if (document.uploadedBy !== ctx.userId && !hasRole(ctx.role, "admin")) {
        throw new KeelError("forbidden", "Only the person who uploaded a document, or an admin, can delete it.");
      }
      const job = await activeJob(tx, ctx.tenantId, documentId);
      if (job) await updateJobIn(tx, ctx.tenantId, job.id, { status: "cancelled", stage: "cancelled", message: "Document deleted" });
      await dropCachedAnswersCiting(tx, ctx.tenantId, sql`select id from document_chunks where tenant_id = ${ctx.tenantId} and document_id = ${documentId}`);
      await tx.delete(documents).where(and(eq(documents.id, documentId), eq(documents.tenantId, ctx.tenantId)));
      await publishDocumentChange(tx, ctx.tenantId, documentId, "deleted");
      return { storageKey: document.storageKey, cancelledJobId: job?.id ?? null };
    },
    { userId: ctx.userId },
  );
  // After the commit: a failed delete leaves an unreferenced file, never a row without its file.
  await store.delete(storageKey).catch((error: unknown) => log.error({ err: error, storageKey }, "could not delete a document's original"));
  return { cancelledJobId };
}

/** Cached answers (exact and semantic) built on any of these chunks can no longer be replayed. */
export async function dropCachedAnswersCiting(tx: Tx, tenantId: string, chunkIds: ReturnType<typeof sql>): Promise<void> {
  await tx.execute(sql`delete from ai_exact_cache where tenant_id = ${tenantId} and context_chunk_ids && array(${chunkIds})::uuid[]`);
  await tx.execute(sql`delete from ai_semantic_cache where tenant_id = ${tenantId} and context_chunk_ids && array(${chunkIds})::uuid[]`);
}

/** Bytes of originals the tenant stores now (what the storage quota counts). */
export async function storageUsed(ctx: TenantContext): Promise<number> {
  const [row] = await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select({ bytes: sql<string>`coalesce(sum(${documents.sizeBytes}), 0)` })
        .from(documents)
        .where(eq(documents.tenantId, ctx.tenantId)),
    { userId: ctx.userId },
  );
  return Number(row?.bytes ?? 0);
}
