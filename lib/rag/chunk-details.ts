// What a hit shows: the chunk's text and place, its document's title, and its cosine similarity
// to the query. Read for the winning ids only, within the same scope as the search.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { scopeCondition, uuidArray, type SearchScope } from "./scope";

export interface ChunkDetails {
  id: string;
  documentId: string;
  documentTitle: string;
  collectionId: string;
  chunkIndex: number;
  pageStart: number | null;
  pageEnd: number | null;
  heading: string | null;
  content: string;
  similarity: number;
}

export async function chunkDetails(tx: Tx, scope: SearchScope, ids: readonly string[], vector: string): Promise<Map<string, ChunkDetails>> {
  if (ids.length === 0) return new Map();
  const rows = await rawRows<ChunkDetails>(
    tx,
    sql`select c.id, c.document_id as "documentId", d.name as "documentTitle", c.collection_id as "collectionId",
               c.chunk_index as "chunkIndex", c.page_start as "pageStart", c.page_end as "pageEnd", c.heading, c.content,
               1 - (c.embedding <=> ${vector}::vector) as similarity
        from document_chunks c
        join documents d on d.id = c.document_id and d.tenant_id = c.tenant_id
        where ${scopeCondition(scope)} and c.id = any(${uuidArray(ids)})`,
  );
  return new Map(rows.map((r) => [r.id, { ...r, similarity: Number(r.similarity) }]));
}
