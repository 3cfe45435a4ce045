// Blue/green per document. Re-embedding never writes over a live vector: it fills the shadow column
// (`next_embedding`) beside it, and once every stale chunk of a document has a shadow of the target
// model for its current text, one UPDATE swaps the document's shadows in and clears them. Retrieval
// reads only `embedding` of active chunks, so it sees each document wholly on the old model or
// wholly on the new one, never half; the old vectors are gone with the swap.
//
// Why a shadow column rather than a new chunk version (as re-analysis does): chunk ids stay the
// same, so citations and the cached answers that name chunk ids stay valid; the document's version
// counter stays the analysis's own, so a re-analysis started meanwhile still wins (its new version
// replaces these rows, shadows and all); and no chunk text is copied. The cost is one nullable
// vector column, empty (a null bit) except while a re-embedding is under way.
//
// Lock order, the same as the analysis's completion and a move between collections: the document
// rows first (sorted), then their chunks. Callers lock with `lockDocuments` before writing.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { documentChunks as c, documents } from "@/db/schema";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { hasUsableShadow, inScope, isPending } from "./stale-chunks";
import type { EmbeddingTarget, ReembedScope } from "./types";

export async function lockDocuments(tx: Tx, tenantId: string, documentIds: readonly string[]): Promise<void> {
  if (documentIds.length === 0) return;
  await tx
    .select({ id: documents.id })
    .from(documents)
    .where(and(eq(documents.tenantId, tenantId), inArray(documents.id, [...documentIds])))
    .orderBy(asc(documents.id))
    .for("update");
}

/**
 * Switches every listed document whose new set is complete (no pending chunk left) and returns
 * them. The caller holds the documents' locks (lockDocuments), so no analysis completes between
 * the check and the swap.
 */
export async function switchCompleteDocuments(tx: Tx, tenantId: string, target: EmbeddingTarget, documentIds: readonly string[]): Promise<string[]> {
  if (documentIds.length === 0) return [];
  const ids = [...new Set(documentIds)];
  const inDocuments = and(eq(c.tenantId, tenantId), inArray(c.documentId, ids), eq(c.active, true));
  const pending = new Set(
    (
      await tx
        .selectDistinct({ documentId: c.documentId })
        .from(c)
        .where(and(inDocuments, isPending(target)))
    ).map((r) => r.documentId),
  );
  const shadowed = await tx
    .selectDistinct({ documentId: c.documentId })
    .from(c)
    .where(and(inDocuments, sql`${c.nextEmbedding} is not null`));
  const ready = shadowed.map((r) => r.documentId).filter((id) => !pending.has(id));
  if (ready.length === 0) return [];
  const where = and(eq(c.tenantId, tenantId), inArray(c.documentId, ready), eq(c.active, true));
  await tx
    .update(c)
    .set({
      embedding: sql`${c.nextEmbedding}`,
      embeddingModel: sql`${c.nextEmbeddingModel}`,
      embeddedHash: sql`${c.nextEmbeddedHash}`,
      nextEmbedding: null,
      nextEmbeddingModel: null,
      nextEmbeddedHash: null,
    })
    .where(and(where, hasUsableShadow(target)));
  // Shadows left on these documents belong to chunks that were current already (e.g. of a model
  // configured earlier): dropping them keeps the document on one model.
  await tx
    .update(c)
    .set({ nextEmbedding: null, nextEmbeddingModel: null, nextEmbeddedHash: null })
    .where(and(where, sql`${c.nextEmbedding} is not null`));
  return ready;
}

/** The partial new set of a scope goes (rollback): documents keep the vectors they have now. */
export async function discardShadows(tx: Tx, tenantId: string, scope: ReembedScope): Promise<number> {
  const rows = await rawRows<{ n: number }>(
    tx,
    sql`with discarded as (
          update document_chunks set next_embedding = null, next_embedding_model = null, next_embedded_hash = null
          where ${inScope(tenantId, scope)} and next_embedding is not null returning 1)
        select count(*)::int as n from discarded`,
  );
  return Number(rows[0]?.n ?? 0);
}
