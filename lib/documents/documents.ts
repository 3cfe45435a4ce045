// Documents as people handle them: list, look at, re-analyse, cancel, delete (uploads:
// upload.ts). Every query runs in the tenant's scope; every id from a request is checked against
// the tenant in the query itself.
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
import { log } from "@/core/log";
import { getBlobStore, type BlobStore } from "@/lib/storage";
import type { TenantContext } from "@/lib/tenancy/context";
import { publish, publishDocumentChange } from "@/lib/jobs/job-events";
import { updateJobIn } from "@/lib/jobs/progress";
import { assertMayManageDocument } from "./document-permissions";

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

export async function newJob(tx: Tx, tenantId: string, documentId: string, createdBy: string): Promise<Job> {
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

export async function priorityOf(tx: Tx, tenantId: string): Promise<number> {
  const [tenant] = await tx.select({ plan: tenants.plan }).from(tenants).where(eq(tenants.id, tenantId));
  return PRIORITY[tenant?.plan ?? "free"];
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

/**
 * A new analysis (new version) of a document that is not being analysed now: re-analyse or retry.
 * For its uploader and admins; the job records who asked, and its model calls are billed to them.
 */
export function requestReanalysis(ctx: TenantContext, documentId: string): Promise<AnalysisRequest> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const document = await lockDocument(tx, ctx.tenantId, documentId);
      assertMayManageDocument(ctx, document, "reanalyse");
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
 * keeps it. For its uploader and admins. Returns the job to cancel in the job system.
 */
export function cancelAnalysis(ctx: TenantContext, documentId: string): Promise<{ jobId: string }> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const document = await lockDocument(tx, ctx.tenantId, documentId);
      assertMayManageDocument(ctx, document, "cancel");
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
      assertMayManageDocument(ctx, document, "delete");
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
