// The full-text side of hybrid retrieval: chunks in scope that contain any of the query's
// distinctive words, best first. The generated column and its GIN index are migration 0010's.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { STOP_WORDS } from "@/lib/ai/offline/text";
import { scopeCondition, type SearchScope } from "./scope";

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
export const TEXT_CANDIDATES = 240;

/**
 * Chunks holding any of the terms (OR: a chunk naming the rare term of a question matches without
 * repeating its other words), ranked by ts_rank with the heading's weight above the body's and
 * long chunks discounted (normalisation 1). PostgreSQL has no index-ordered ranking, so ranking
 * reads every candidate's tsvector: candidates are capped per term, which keeps every match of a
 * rare term (the ones worth finding) and a sample of a common term's, whose matches say little.
 */
export async function textMatches(tx: Tx, scope: SearchScope, terms: readonly string[], limit: number): Promise<TextMatch[]> {
  if (terms.length === 0) return [];
  const perTerm = Math.ceil(TEXT_CANDIDATES / terms.length);
  // One branch per term with the term as its own parameter: the search's custom plans (size-scope.ts)
  // see each term, so a rare one is looked up in the GIN index and a common one, whose matches are
  // everywhere, by reading the scope until enough are found.
  const branches = terms.map(
    (term) => sql`(select c.id from document_chunks c where ${scopeCondition(scope)} and c.search_text @@ to_tsquery('simple', ${term}) limit ${perTerm})`,
  );
  const rows = await rawRows<TextMatch>(
    tx,
    sql`with matched as materialized (${sql.join(branches, sql` union `)})
        select c.id, ts_rank(c.search_text, to_tsquery('simple', ${terms.join(" | ")}), 1) as rank
        from matched m join document_chunks c on c.id = m.id
        where ${scopeCondition(scope)}
        order by rank desc, c.id
        limit ${limit}`,
  );
  return rows.map((r) => ({ id: r.id, rank: Number(r.rank) }));
}
