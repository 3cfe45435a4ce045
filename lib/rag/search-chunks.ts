// One search inside a tenant transaction: size the scope, take the nearest chunks (exact for a
// small scope, HNSW for a large one, exact again if the index came back short), fuse with
// full-text matches in hybrid mode, then read the winners' details. retrieve() and the benchmark
// both run this, so what is measured is what serves.
import type { Tx } from "@/db/client";
import { vectorLiteral } from "@/lib/ai/cache";
import { KeelError } from "@/lib/errors";
import { chunkDetails } from "./chunk-details";
import type { RetrievalConfig, RetrievalMode } from "./config";
import { reciprocalRankFusion } from "./fuse";
import type { SearchScope } from "./scope";
import { sizeScope } from "./size-scope";
import { queryTerms, textMatches } from "./text-search";
import { approximateNearest, exactNearest, type VectorCandidate } from "./vector-search";

export interface SearchRequest extends SearchScope {
  vector: readonly number[];
  /** The query as typed, for the full-text side. */
  text: string;
  k: number;
  mode: RetrievalMode;
}

/** How the nearest chunks were found: `hnsw+exact` is the index coming back short, then exact. */
export type SearchStrategy = "exact" | "hnsw" | "hnsw+exact";

export interface RetrievalHit {
  chunkId: string;
  documentId: string;
  documentTitle: string;
  collectionId: string;
  chunkIndex: number;
  /** First page of the chunk (null for formats without pages). */
  page: number | null;
  pageEnd: number | null;
  heading: string | null;
  text: string;
  /** Best first. Vector mode: cosine similarity; hybrid: the reciprocal-rank-fusion score. */
  score: number;
  /** Cosine similarity to the query, in either mode. */
  similarity: number;
}

export interface SearchOutcome {
  hits: RetrievalHit[];
  strategy: SearchStrategy;
}

/** How deep each side of a hybrid search goes before fusion. */
const hybridDepth = (k: number) => Math.max(3 * k, 30);

export async function searchChunks(tx: Tx, request: SearchRequest, config: RetrievalConfig): Promise<SearchOutcome> {
  const scope: SearchScope = { tenantId: request.tenantId, collectionIds: request.collectionIds, embeddingModel: request.embeddingModel };
  const vector = vectorLiteral(request.vector);
  const depth = request.mode === "hybrid" ? hybridDepth(request.k) : request.k;

  const size = await sizeScope(tx, scope, config, Math.max(config.exactMaxChunks, depth) + 1);
  if (request.collectionIds && size.knownCollections !== request.collectionIds.length) {
    throw new KeelError("not_found", "One of those collections does not exist in this workspace.");
  }

  let strategy: SearchStrategy = size.chunks <= config.exactMaxChunks ? "exact" : "hnsw";
  // The index scan fetches at least 2k: its relaxed order can leave a near row behind a far one.
  let nearest: VectorCandidate[] =
    strategy === "exact"
      ? await exactNearest(tx, scope, vector, depth)
      : (await approximateNearest(tx, scope, vector, Math.max(depth, 2 * request.k))).slice(0, depth);
  // The scope holds at least min(depth, chunks) rows, so a shorter answer means the scan gave up
  // (hnsw.max_scan_tuples): exact search still owes the caller their rows.
  if (strategy === "hnsw" && nearest.length < Math.min(depth, size.chunks)) {
    strategy = "hnsw+exact";
    nearest = await exactNearest(tx, scope, vector, depth);
  }

  const ranked =
    request.mode === "hybrid"
      ? reciprocalRankFusion([nearest.map((c) => c.id), (await textMatches(tx, scope, queryTerms(request.text), depth)).map((m) => m.id)])
      : nearest.map((c) => ({ id: c.id, score: 1 - c.distance }));
  const winners = ranked.slice(0, request.k);
  const details = await chunkDetails(
    tx,
    scope,
    winners.map((w) => w.id),
    vector,
  );
  const hits = winners.flatMap((winner) => {
    const chunk = details.get(winner.id);
    if (!chunk) return [];
    return [
      {
        chunkId: chunk.id,
        documentId: chunk.documentId,
        documentTitle: chunk.documentTitle,
        collectionId: chunk.collectionId,
        chunkIndex: chunk.chunkIndex,
        page: chunk.pageStart,
        pageEnd: chunk.pageEnd,
        heading: chunk.heading,
        text: chunk.content,
        score: winner.score,
        similarity: chunk.similarity,
      },
    ];
  });
  return { hits, strategy };
}
