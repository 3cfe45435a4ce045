// The offline model's plain-text answer: the context sentences that best overlap the question.
import type { Corpus } from "./corpus";
import { queryTerms, SUMMARY_REQUEST } from "./text";

/** Exact answer when the context exists but nothing in it overlaps the question. */
export const OFFLINE_NO_ANSWER = "I could not find an answer to that in the provided context.";

function noContextAnswer(question: string): string {
  const echo = question.length > 200 ? `${question.slice(0, 199).trimEnd()}…` : question;
  return echo
    ? `The offline model only answers from supplied context, and none was provided for: "${echo}"`
    : "The offline model only answers from supplied context, and none was provided.";
}

export function extractiveAnswer(corpus: Corpus, question: string): string {
  if (corpus.isEmpty) return noContextAnswer(question);
  const query = queryTerms(question);
  // "Summarise this" has no subject to overlap with; its natural answer is the opening.
  const picked = query.size === 0 && SUMMARY_REQUEST.test(question) ? corpus.leading(3) : corpus.select(query, 3);
  return picked.length > 0
    ? picked
        .sort((a, b) => a.index - b.index)
        .map((s) => s.text)
        .join(" ")
    : OFFLINE_NO_ANSWER;
}
