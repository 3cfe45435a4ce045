// The first statement of a search: sets this transaction's HNSW scan settings and measures the
// scope (bounded, an index-only count), which decides between exact search and the index.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import type { RetrievalConfig } from "./config";
import { scopeCondition, uuidArray, type SearchScope } from "./scope";

export interface ScopeSize {
  /** Chunks in scope, counted up to `countLimit` (so a value at the limit means "at least"). */
  chunks: number;
  /** How many of the requested collections are the tenant's (null: none were requested). */
  knownCollections: number | null;
}

export async function sizeScope(tx: Tx, scope: SearchScope, config: RetrievalConfig, countLimit: number): Promise<ScopeSize> {
  const known = scope.collectionIds
    ? sql`(select count(*) from collections where tenant_id = ${scope.tenantId}::uuid and id = any(${uuidArray(scope.collectionIds)}))::int`
    : sql`null::int`;
  // set_config(…, true) is SET LOCAL: the settings end with the transaction.
  //   hnsw.iterative_scan  relaxed_order lets a filtered HNSW scan keep going until it has found
  //                        enough rows (pgvector 0.8); its order is rough, so callers sort again.
  //   plan_cache_mode      statements are prepared (db/engine.ts), and a generic plan cannot see the
  //                        tenant or the query's words: with the scope's size unknown it sorted a
  //                        100,000-chunk tenant by distance instead of using the HNSW index, and
  //                        filtered every chunk's tsvector for a rare word instead of asking GIN.
  //   enable_sort          off, so a query ordered by distance can only be the HNSW index scan:
  //                        whether to search exactly is decided here, by the measured scope size,
  //                        not by the planner's estimate of it. The sorts every plan needs (exact
  //                        search, ranking) still run.
  //   jit                  off: those disabled sorts put a plan's cost over jit_above_cost, and
  //                        compiling it took over a second for a query that runs in a millisecond.
  const [row] = await rawRows<{ chunks: number; known: number | null }>(
    tx,
    sql`select set_config('hnsw.iterative_scan', 'relaxed_order', true) as iterative,
               set_config('hnsw.ef_search', ${String(config.efSearch)}, true) as ef,
               set_config('hnsw.max_scan_tuples', ${String(config.maxScanTuples)}, true) as max_scan,
               set_config('plan_cache_mode', 'force_custom_plan', true) as custom_plans,
               set_config('enable_sort', 'off', true) as no_sort,
               set_config('jit', 'off', true) as no_jit,
               (select count(*) from (select 1 from document_chunks c where ${scopeCondition(scope)} limit ${countLimit}) s)::int as chunks,
               ${known} as known`,
  );
  return { chunks: Number(row!.chunks), knownCollections: row!.known === null ? null : Number(row!.known) };
}
