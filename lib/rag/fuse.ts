// Reciprocal rank fusion (Cormack et al., 2009): each list adds 1 / (K + rank) for each item it
// holds, so an item near the top of either list ranks high, and one found by both higher still.
// Ranks only: a cosine distance and a ts_rank are not on any common scale.

const RRF_K = 60;

export interface FusedItem {
  id: string;
  score: number;
}

/** `lists` are ids, best first. Ties keep the order of the first list that holds them. */
export function reciprocalRankFusion(lists: readonly (readonly string[])[], constant = RRF_K): FusedItem[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    list.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + 1 / (constant + index + 1)));
  }
  // Map iteration is insertion order and sort is stable: ties stay in first-seen order.
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
