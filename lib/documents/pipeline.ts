// The stages of a document's analysis, each a plain function the durable function runs as one
// step. Each is idempotent: chunk rows are keyed by (document, version, index), an embedding batch
// fills only chunks that have none, and the switch to the new version is one transaction, so a
// retried or replayed step writes nothing twice. Every stage first checks that the job is still
// wanted (not cancelled, the document not deleted) and reports its progress on the job row.
import { and, asc, between, eq, isNull, ne, sql } from "drizzle-orm";
import { documentChunks, documents, jobs, type Document, type DocumentAnalysis } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { vectorLiteral } from "@/lib/ai/cache";
import type { CallContext } from "@/lib/ai/types";
import { updateJob, updateJobIn } from "@/lib/jobs/progress";
import { notifyIn } from "@/lib/notifications/notifications";
import { getBlobStore } from "@/lib/storage";
import { analyzeWhole, SECTION_TOKENS, summarizeSection, type SectionSummary } from "./analysis";
import { chunkSettingsFromEnv } from "./chunk-settings";
import { embedPassages } from "./embed-passages";
import { embeddingInput } from "./embedding-input";
import { DocumentRejected } from "./errors";
import { getDocumentPool } from "./processing/pool";

export interface AnalysisInput {
  tenantId: string;
  documentId: string;
  jobId: string;
  version: number;
}

/** The job was cancelled or its document deleted: stop without failing anything. */
export class AnalysisStopped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "AnalysisStopped";
  }
}

/** Chunk index ranges, inclusive. */
export type IndexRange = [from: number, to: number];

export interface Prepared {
  chunkCount: number;
  pageCount: number | null;
  tokenCount: number;
  language: string;
  /** Embedding batches, in order. */
  batches: IndexRange[];
  /** Sections summarised one by one for a long document (one section: no map step). */
  sections: IndexRange[];
}

const EMBEDDING_BATCH = 64;
const CHUNK_ROWS_PER_STATEMENT = 50;

/** The document being analysed, with who asked for this analysis: its model calls are billed to them. */
interface WantedDocument extends Document {
  requestedBy: string | null;
}

async function wantedDocument(input: AnalysisInput): Promise<WantedDocument> {
  const found = await withTenant(input.tenantId, async (tx) => {
    const [document] = await tx
      .select()
      .from(documents)
      .where(and(eq(documents.id, input.documentId), eq(documents.tenantId, input.tenantId)));
    const [job] = await tx
      .select({ status: jobs.status, createdBy: jobs.createdBy })
      .from(jobs)
      .where(and(eq(jobs.id, input.jobId), eq(jobs.tenantId, input.tenantId)));
    return { document, job };
  });
  if (!found.document) throw new AnalysisStopped("The document was deleted.");
  if (!found.job || found.job.status === "cancelled") throw new AnalysisStopped("The analysis was cancelled.");
  if (found.document.version !== input.version) throw new AnalysisStopped("A newer analysis of this document was started.");
  // A job with no requester (its account was deleted since) falls back to the uploader.
  return { ...found.document, requestedBy: found.job.createdBy ?? found.document.uploadedBy };
}

/** Billed to the person who asked for this analysis (the uploader, or whoever re-analysed). */
function callContext(document: WantedDocument, feature: string): CallContext {
  return { tenantId: document.tenantId, userId: document.requestedBy, feature };
}

function ranges(sizes: number[], fits: (count: number, tokens: number) => boolean): IndexRange[] {
  const result: IndexRange[] = [];
  let start = 0;
  let tokens = 0;
  sizes.forEach((size, index) => {
    if (index > start && !fits(index - start + 1, tokens + size)) {
      result.push([start, index - 1]);
      start = index;
      tokens = 0;
    }
    tokens += size;
  });
  if (sizes.length > start) result.push([start, sizes.length - 1]);
  return result;
}

/** Extract → clean → chunk: the version's chunk rows, without embeddings yet. */
export async function extractAndChunk(input: AnalysisInput): Promise<Prepared> {
  const document = await wantedDocument(input);
  await withTenant(input.tenantId, async (tx) => {
    await tx.update(documents).set({ status: "processing", error: null, errorCode: null, updatedAt: new Date() }).where(eq(documents.id, document.id));
    // A cancel that committed since wantedDocument() leaves the job finished: roll the status back
    // with this transaction, or the document would stay "processing" under a cancelled job. (The
    // document row is locked first, in the same order as cancelAnalysis takes them.)
    const job = await updateJobIn(tx, input.tenantId, input.jobId, { status: "running", stage: "extracting", done: 0, total: 0, message: "Reading the file" });
    if (!job) throw new AnalysisStopped("The analysis was cancelled.");
  });
  const original = await getBlobStore().get(document.storageKey);
  if (!original) throw new DocumentRejected("corrupt", "The original file is missing from storage, so it cannot be analysed. Upload it again.");
  // Off this thread: the file is untrusted (lib/documents/processing).
  const extracted = await getDocumentPool().prepare({ bytes: original, kind: document.kind, settings: chunkSettingsFromEnv() }, async (done, total) => {
    await updateJob(input.tenantId, input.jobId, { done, total, message: `Reading page ${done} of ${total}` });
  });
  const { chunks, language, tokenCount } = extracted;

  await withTenant(input.tenantId, async (tx) => {
    await updateJobIn(tx, input.tenantId, input.jobId, {
      stage: "chunking",
      done: 0,
      total: chunks.length,
      message: `Splitting into ${chunks.length} passages`,
    });
    // Small statements: building one holds this thread (500 rows took ~0.3–0.7 s under load, and
    // every request on this process waited), so other work gets the thread between them.
    for (let i = 0; i < chunks.length; i += CHUNK_ROWS_PER_STATEMENT) {
      const rows = chunks.slice(i, i + CHUNK_ROWS_PER_STATEMENT).map((chunk) => ({
        tenantId: input.tenantId,
        documentId: document.id,
        collectionId: document.collectionId,
        version: input.version,
        chunkIndex: chunk.index,
        content: chunk.content,
        heading: chunk.heading,
        pageStart: chunk.pageStart,
        pageEnd: chunk.pageEnd,
        tokenCount: chunk.tokenCount,
        contentHash: chunk.contentHash,
        active: false,
      }));
      // A replay rewrites the same rows; an embedding survives only if its text is unchanged.
      await tx
        .insert(documentChunks)
        .values(rows)
        .onConflictDoUpdate({
          target: [documentChunks.documentId, documentChunks.version, documentChunks.chunkIndex],
          set: {
            content: sql`excluded.content`,
            heading: sql`excluded.heading`,
            pageStart: sql`excluded.page_start`,
            pageEnd: sql`excluded.page_end`,
            tokenCount: sql`excluded.token_count`,
            embedding: sql`case when ${documentChunks.contentHash} = excluded.content_hash then ${documentChunks.embedding} end`,
            embeddingModel: sql`case when ${documentChunks.contentHash} = excluded.content_hash then ${documentChunks.embeddingModel} end`,
            embeddedHash: sql`case when ${documentChunks.contentHash} = excluded.content_hash then ${documentChunks.embeddedHash} end`,
            contentHash: sql`excluded.content_hash`,
          },
        });
    }
    await tx
      .delete(documentChunks)
      .where(and(eq(documentChunks.documentId, document.id), eq(documentChunks.version, input.version), sql`${documentChunks.chunkIndex} >= ${chunks.length}`));
    await tx
      .update(documents)
      .set({ pageCount: extracted.pageCount, tokenCount, chunkCount: chunks.length, language, updatedAt: new Date() })
      .where(eq(documents.id, document.id));
  });

  const sizes = chunks.map((c) => c.tokenCount);
  return {
    chunkCount: chunks.length,
    pageCount: extracted.pageCount,
    tokenCount,
    language,
    batches: ranges(sizes, (count) => count <= EMBEDDING_BATCH),
    sections: ranges(sizes, (_count, tokens) => tokens <= SECTION_TOKENS),
  };
}

/** Embeds one batch of the version's chunks through the gateway (metered, held to quota). */
export async function embedBatch(input: AnalysisInput, batch: IndexRange, progress: { index: number; count: number; chunkCount: number }): Promise<number> {
  const document = await wantedDocument(input);
  const pending = await withTenant(input.tenantId, (tx) =>
    tx
      .select({ id: documentChunks.id, content: documentChunks.content, heading: documentChunks.heading, contentHash: documentChunks.contentHash })
      .from(documentChunks)
      .where(
        and(
          eq(documentChunks.documentId, document.id),
          eq(documentChunks.version, input.version),
          between(documentChunks.chunkIndex, batch[0], batch[1]),
          isNull(documentChunks.embedding),
        ),
      )
      .orderBy(asc(documentChunks.chunkIndex)),
  );
  if (pending.length > 0) {
    const result = await embedPassages(callContext(document, "document-embedding"), pending.map(embeddingInput));
    await withTenant(input.tenantId, async (tx) => {
      for (const [i, chunk] of pending.entries()) {
        await tx
          .update(documentChunks)
          .set({ embedding: sql`${vectorLiteral(result.embeddings[i]!)}::vector`, embeddingModel: result.model, embeddedHash: chunk.contentHash })
          .where(eq(documentChunks.id, chunk.id));
      }
    });
  }
  const done = Math.min(progress.chunkCount, batch[1] + 1);
  await updateJob(input.tenantId, input.jobId, {
    stage: "embedding",
    done,
    total: progress.chunkCount,
    message: `Embedded ${done} of ${progress.chunkCount} passages`,
  });
  return pending.length;
}

async function chunkText(input: AnalysisInput, range: IndexRange): Promise<string> {
  const rows = await withTenant(input.tenantId, (tx) =>
    tx
      .select({ content: documentChunks.content })
      .from(documentChunks)
      .where(
        and(eq(documentChunks.documentId, input.documentId), eq(documentChunks.version, input.version), between(documentChunks.chunkIndex, range[0], range[1])),
      )
      .orderBy(asc(documentChunks.chunkIndex)),
  );
  return rows.map((r) => r.content).join("\n\n");
}

/** The map step of a long document: one section's summary. */
export async function analyzeSection(input: AnalysisInput, section: IndexRange, position: { index: number; count: number }): Promise<SectionSummary> {
  const document = await wantedDocument(input);
  await updateJob(input.tenantId, input.jobId, {
    stage: "analysing",
    done: position.index,
    total: position.count + 1,
    message: `Summarising section ${position.index + 1} of ${position.count}`,
  });
  // No fixed request ids: a step replayed after a crash really calls the model again, and that
  // call must be billed as its own, not deduplicated against the first.
  return summarizeSection(callContext(document, "document-analysis"), await chunkText(input, section), position);
}

/** The whole document's analysis: from its text, or (reduce) from its section summaries. */
export async function analyzeDocument(input: AnalysisInput, prepared: Prepared, sections: SectionSummary[]): Promise<DocumentAnalysis> {
  const document = await wantedDocument(input);
  await updateJob(input.tenantId, input.jobId, {
    stage: "analysing",
    done: sections.length,
    total: sections.length + 1,
    message: sections.length > 0 ? "Combining the section summaries" : "Analysing the document",
  });
  const ctx = callContext(document, "document-analysis");
  const material = sections.length > 0 ? { sections } : { text: await chunkText(input, [0, Math.max(0, prepared.chunkCount - 1)]) };
  return analyzeWhole(ctx, material, prepared.language);
}

/**
 * Before a version goes live: chunks embedded by another model than the tenant's embedding model
 * now (the configuration changed during the analysis) are embedded again, so the version is
 * searchable on one model only. Returns that model.
 */
async function alignVersionEmbeddings(input: AnalysisInput, document: WantedDocument): Promise<string> {
  const [target] = await getGateway().chainFor(input.tenantId, "embedding");
  const model = target!.model;
  const unaligned = await withTenant(input.tenantId, (tx) =>
    tx
      .select({ id: documentChunks.id, content: documentChunks.content, heading: documentChunks.heading, contentHash: documentChunks.contentHash })
      .from(documentChunks)
      .where(
        and(
          eq(documentChunks.documentId, document.id),
          eq(documentChunks.version, input.version),
          sql`(${documentChunks.embedding} is null or ${documentChunks.embeddingModel} is distinct from ${model})`,
        ),
      )
      .orderBy(asc(documentChunks.chunkIndex)),
  );
  for (let i = 0; i < unaligned.length; i += EMBEDDING_BATCH) {
    const batch = unaligned.slice(i, i + EMBEDDING_BATCH);
    const result = await embedPassages(callContext(document, "document-embedding"), batch.map(embeddingInput));
    await withTenant(input.tenantId, async (tx) => {
      for (const [j, chunk] of batch.entries()) {
        await tx
          .update(documentChunks)
          .set({ embedding: sql`${vectorLiteral(result.embeddings[j]!)}::vector`, embeddingModel: result.model, embeddedHash: chunk.contentHash })
          .where(eq(documentChunks.id, chunk.id));
      }
    });
  }
  return model;
}

/**
 * Makes the new version the searchable one, in one transaction: its chunks become active, older
 * versions go, the analysis is stored, the job succeeds and the uploader is told.
 */
export async function completeAnalysis(input: AnalysisInput, analysis: DocumentAnalysis): Promise<void> {
  const document = await wantedDocument(input);
  const model = await alignVersionEmbeddings(input, document);
  await withTenant(input.tenantId, async (tx) => {
    // The row lock orders this after a move to another collection (which locks it too), so the
    // chunks go live in the collection the document is in now, not the one it was in at upload.
    const [current] = await tx.select({ collectionId: documents.collectionId }).from(documents).where(eq(documents.id, document.id)).for("update");
    if (!current) return;
    const [unaligned] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(documentChunks)
      .where(
        and(
          eq(documentChunks.documentId, document.id),
          eq(documentChunks.version, input.version),
          sql`(${documentChunks.embedding} is null or ${documentChunks.embeddingModel} is distinct from ${model})`,
        ),
      );
    // The embedding model changed again meanwhile: this step runs again (retried) and realigns.
    if (Number(unaligned?.n ?? 0) > 0) throw new Error("The embedding model changed while the analysis completed; retrying.");
    await tx
      .update(documentChunks)
      .set({ active: true, collectionId: current.collectionId })
      .where(and(eq(documentChunks.documentId, document.id), eq(documentChunks.version, input.version)));
    await tx.delete(documentChunks).where(and(eq(documentChunks.documentId, document.id), ne(documentChunks.version, input.version)));
    await tx
      .update(documents)
      .set({ status: "ready", activeVersion: input.version, analysis, analyzedAt: new Date(), error: null, errorCode: null, updatedAt: new Date() })
      .where(eq(documents.id, document.id));
    const job = await updateJobIn(tx, input.tenantId, input.jobId, { status: "succeeded", stage: "ready", message: "Analysis ready" });
    if (job?.createdBy) {
      await notifyIn(tx, input.tenantId, {
        userId: job.createdBy,
        kind: "document.ready",
        title: `“${document.name}” is analysed`,
        body: analysis.summary.slice(0, 200),
        link: `/documents/${document.id}`,
      });
    }
  });
}

/**
 * The analysis failed for good: the document says why (in words a person can act on), the
 * half-built version goes (no partial chunks), and the uploader is told. A job that was
 * cancelled meanwhile is left as it is.
 */
export async function failAnalysis(input: AnalysisInput, problem: { code: string; message: string }): Promise<void> {
  await withTenant(input.tenantId, async (tx) => {
    const [document] = await tx
      .select()
      .from(documents)
      .where(and(eq(documents.id, input.documentId), eq(documents.tenantId, input.tenantId)))
      .for("update");
    if (!document || document.version !== input.version) return;
    const job = await updateJobIn(tx, input.tenantId, input.jobId, { status: "failed", stage: "failed", message: problem.message, error: problem.message });
    if (!job) return;
    await tx.delete(documentChunks).where(and(eq(documentChunks.documentId, document.id), eq(documentChunks.version, input.version)));
    await tx
      .update(documents)
      .set({ status: document.activeVersion ? "ready" : "failed", error: problem.message, errorCode: problem.code, updatedAt: new Date() })
      .where(eq(documents.id, document.id));
    if (job.createdBy) {
      await notifyIn(tx, input.tenantId, {
        userId: job.createdBy,
        kind: "document.failed",
        title: `“${document.name}” could not be analysed`,
        body: problem.message,
        link: `/documents/${document.id}`,
      });
    }
  });
}
