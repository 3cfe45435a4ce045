// Nearest chunks to a query vector (cosine distance), within the scope, two ways:
//   exact        — every chunk in scope through the scope index, sorted by distance: perfect recall,
//                  cost linear in the scope, the choice for small scopes.
//   approximate  — the HNSW index with an iterative scan (pgvector 0.8): walks the graph until it
//                  has `limit` rows that pass the filter, so a filter never leaves it short unless
//                  it reaches hnsw.max_scan_tuples.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { scopeCondition, type SearchScope } from "./scope";

export interface VectorCandidate {
  id: string;
  distance: number;
}

const asCandidates = (rows: { id: string; distance: number }[]): VectorCandidate[] => rows.map((r) => ({ id: r.id, distance: Number(r.distance) }));

export async function exactNearest(tx: Tx, scope: SearchScope, vector: string, limit: number): Promise<VectorCandidate[]> {
  // Materialised: the ORDER BY is then over the CTE's rows, which the HNSW index cannot serve, so
  // the planner reads the scope through its btree index and sorts every distance (computed once).
  const rows = await rawRows<VectorCandidate>(
    tx,
    sql`with scoped as materialized (
          select c.id, c.embedding <=> ${vector}::vector as distance
          from document_chunks c
          where ${scopeCondition(scope)}
        )
        select id, distance from scoped order by distance limit ${limit}`,
  );
  return asCandidates(rows);
}

export async function approximateNearest(tx: Tx, scope: SearchScope, vector: string, limit: number): Promise<VectorCandidate[]> {
  // Materialised so the index scan (with its LIMIT) runs as written; the outer ORDER BY puts the
  // relaxed order of the iterative scan right.
  const rows = await rawRows<VectorCandidate>(
    tx,
    sql`with scanned as materialized (
          select c.id, c.embedding <=> ${vector}::vector as distance
          from document_chunks c
          where ${scopeCondition(scope)}
          order by c.embedding <=> ${vector}::vector
          limit ${limit}
        )
        select id, distance from scanned order by distance + 0`,
  );
  return asCandidates(rows);
}
