// The full-text side of hybrid retrieval: chunks in scope that contain any of the query's
// distinctive words, best first. The generated column and its GIN index are migration 0010's.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { STOP_WORDS } from "@/lib/ai/offline/text";
import { uuidArray, type SearchScope } from "./scope";

const MAX_TERMS = 24;
const MAX_TERM_LENGTH = 64;

/**
 * The words worth matching: lower-cased letters and digits, without common function words (they
 * would match nearly every chunk) and duplicates. Letters and digits only, so a term can never be
 * read as tsquery syntax.
 */
export function queryTerms(query: string): string[] {
  const words =
    query
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const terms = new Set<string>();
  for (const word of words) {
    if (terms.size >= MAX_TERMS) break;
    if (STOP_WORDS.has(word) || word.length > MAX_TERM_LENGTH) continue;
    terms.add(word);
  }
  return [...terms];
}

export interface TextMatch {
  id: string;
  rank: number;
}

/** At most this many matching chunks are ranked, so a query of common words stays cheap. */
const TEXT_CANDIDATES = 240;

/**
 * Chunks holding any of the terms (OR: a chunk naming the rare term of a question matches without
 * repeating its other words), ranked by ts_rank with the heading's weight above the body's and
 * long chunks discounted (normalisation 1). PostgreSQL has no index-ordered ranking, so ranking
 * reads every candidate's tsvector: candidates are capped per term, which keeps every match of a
 * rare term (the ones worth finding) and a sample of a common term's, whose matches say little.
 *
 * The search itself is keel_text_matches (db/functions), which runs as keel_system and takes the
 * tenant from the transaction's scope: under keel_app's row-level security `@@` is not leakproof,
 * so the GIN index could not be used and a rare word meant reading every chunk of the tenant.
 */
export async function textMatches(tx: Tx, scope: SearchScope, terms: readonly string[], limit: number): Promise<TextMatch[]> {
  if (terms.length === 0) return [];
  const perTerm = Math.ceil(TEXT_CANDIDATES / terms.length);
  const collections = scope.collectionIds ? uuidArray(scope.collectionIds) : sql`null::uuid[]`;
  const array = `{${terms.map((t) => `"${t.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
  const rows = await rawRows<TextMatch>(
    tx,
    sql`select id, rank from keel_text_matches(${array}::text[], ${collections}, ${scope.embeddingModel}, ${perTerm}::int, ${limit}::int)`,
  );
  return rows.map((r) => ({ id: r.id, rank: Number(r.rank) }));
}
