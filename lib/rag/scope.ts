// Which chunks a search may see: the tenant's active chunks, embedded by the query's model, in the
// chosen collections. Every retrieval statement filters by this inside SQL (on top of row-level
// security), never afterwards in JavaScript.
import { sql, type SQL } from "drizzle-orm";

export interface SearchScope {
  tenantId: string;
  /** Null: every collection of the tenant. */
  collectionIds: readonly string[] | null;
  /** Vectors of different models share no space: only chunks embedded like the query compare. */
  embeddingModel: string;
}

/** A uuid[] parameter. The ids are validated UUIDs (zod, or read from the database). */
export function uuidArray(ids: readonly string[]): SQL {
  return sql`${`{${ids.join(",")}}`}::uuid[]`;
}

/** The WHERE condition for `document_chunks c`. */
export function scopeCondition(scope: SearchScope): SQL {
  const collections = scope.collectionIds ? sql` and c.collection_id = any(${uuidArray(scope.collectionIds)})` : sql``;
  return sql`c.tenant_id = ${scope.tenantId}::uuid and c.active and c.embedding_model = ${scope.embeddingModel}${collections}`;
}
