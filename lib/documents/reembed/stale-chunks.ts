// Which chunks need a new vector, as SQL. A chunk is stale when it is searchable (active) and its
// vector is missing, was made by another model than the tenant's embedding model, has another
// dimension than the deployment's, or was computed from other text than the chunk holds now
// (`embedded_hash` differs from `content_hash`). It is pending for a run when, on top of that, it
// has no shadow vector of the target model for its current text yet.
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { documentChunks as c } from "@/db/schema";
import type { Tx } from "@/db/client";
import { getGateway } from "@/lib/ai";
import { vectorLiteral } from "@/lib/ai/cache";
import type { EmbeddingTarget, ReembedScope } from "./types";

/** The tenant's embedding model now (routing can differ by plan tier) and the deployment's dimension. */
export async function embeddingTargetFor(tenantId: string): Promise<EmbeddingTarget> {
  const gateway = getGateway();
  const [target] = await gateway.chainFor(tenantId, "embedding");
  return { provider: target!.provider, model: target!.model, dimensions: gateway.config.embeddingDimensions };
}

export function inScope(tenantId: string, scope: ReembedScope): SQL {
  const tenant = eq(c.tenantId, tenantId);
  if (scope.kind === "collection") return and(tenant, eq(c.collectionId, scope.collectionId))!;
  if (scope.kind === "document") return and(tenant, eq(c.documentId, scope.documentId))!;
  return tenant;
}

function isStale(target: EmbeddingTarget): SQL {
  return sql`(${c.embedding} is null or ${c.embeddingModel} is distinct from ${target.model}
              or vector_dims(${c.embedding}) <> ${target.dimensions} or ${c.embeddedHash} is distinct from ${c.contentHash})`;
}

/** A shadow vector that can replace the live one: the target's, for the chunk's current text. */
export function hasUsableShadow(target: EmbeddingTarget): SQL {
  return sql`(${c.nextEmbedding} is not null and ${c.nextEmbeddingModel} = ${target.model} and ${c.nextEmbeddedHash} = ${c.contentHash})`;
}

export function isPending(target: EmbeddingTarget): SQL {
  return sql`(${isStale(target)} and not ${hasUsableShadow(target)})`;
}

export interface PendingChunk {
  id: string;
  documentId: string;
  content: string;
  heading: string | null;
  contentHash: string;
}

/** The next pending chunks in scope, a document's chunks together, so documents finish one by one. */
export function nextPendingChunks(tx: Tx, tenantId: string, scope: ReembedScope, target: EmbeddingTarget, limit: number): Promise<PendingChunk[]> {
  return tx
    .select({ id: c.id, documentId: c.documentId, content: c.content, heading: c.heading, contentHash: c.contentHash })
    .from(c)
    .where(and(inScope(tenantId, scope), eq(c.active, true), isPending(target)))
    .orderBy(asc(c.documentId), asc(c.chunkIndex))
    .limit(limit);
}

export interface StaleCounts {
  chunks: number;
  tokens: number;
  documents: number;
}

/** Stale (or, with `pendingOnly`, still pending) chunks in scope, their tokens and documents. */
export async function countStale(tx: Tx, tenantId: string, scope: ReembedScope, target: EmbeddingTarget, pendingOnly = false): Promise<StaleCounts> {
  const [row] = await tx
    .select({
      chunks: sql<number>`count(*)::int`,
      tokens: sql<number>`coalesce(sum(${c.tokenCount}), 0)::bigint`,
      documents: sql<number>`count(distinct ${c.documentId})::int`,
    })
    .from(c)
    .where(and(inScope(tenantId, scope), eq(c.active, true), pendingOnly ? isPending(target) : isStale(target)));
  return { chunks: Number(row?.chunks ?? 0), tokens: Number(row?.tokens ?? 0), documents: Number(row?.documents ?? 0) };
}

/**
 * Writes a shadow vector beside the live one, unless the chunk's text changed since it was sent to
 * be embedded (then it stays pending). Rewriting the same shadow is harmless: a replay is a no-op.
 */
export async function writeShadow(
  tx: Tx,
  tenantId: string,
  chunk: { id: string; contentHash: string },
  model: string,
  vector: readonly number[],
): Promise<boolean> {
  const written = await tx
    .update(c)
    .set({ nextEmbedding: sql`${vectorLiteral(vector)}::vector`, nextEmbeddingModel: model, nextEmbeddedHash: chunk.contentHash })
    .where(and(eq(c.tenantId, tenantId), eq(c.id, chunk.id), eq(c.contentHash, chunk.contentHash), eq(c.active, true)))
    .returning({ id: c.id });
  return written.length > 0;
}
