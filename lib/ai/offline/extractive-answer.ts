// The offline model's plain-text answer: the context sentences that best overlap the question,
// each followed by the citation of the numbered source it comes from.
import { answerType, fitsAnswerType } from "./answer-type";
import type { Corpus, Sentence } from "./corpus";
import { requestTerms, SUMMARY_REQUEST } from "./text";

/** Exact answer when the context exists but nothing in it overlaps the question. */
export const OFFLINE_NO_ANSWER = "I could not find an answer to that in the provided context.";

/** Exact answer when there is no context at all. The question is not repeated: that reads as an echo. */
const OFFLINE_NO_CONTEXT =
  "The offline model only answers from supplied context, such as your documents, and none came with this question. Add documents to the workspace, or configure an AI provider for general questions.";

/** A quoted sentence as the answer gives it: with its source's citation, as models are asked to cite. */
function quoted(sentence: Sentence): string {
  return sentence.citation === undefined ? sentence.text : `${sentence.text} [${sentence.citation}]`;
}

export function extractiveAnswer(corpus: Corpus, question: string): string {
  if (corpus.isEmpty) return OFFLINE_NO_CONTEXT;
  const query = requestTerms(question);
  // "Summarise this" has no subject to overlap with; its natural answer is the opening.
  const type = answerType(question);
  const fits = type ? (sentence: Sentence) => fitsAnswerType(type, sentence, corpus.namesIn(sentence), question) : undefined;
  const picked = query.size === 0 && SUMMARY_REQUEST.test(question) ? corpus.leading(3) : corpus.select(query, 3, corpus.sentences, fits);
  return picked.length > 0
    ? picked
        .sort((a, b) => a.index - b.index)
        .map(quoted)
        .join(" ")
    : OFFLINE_NO_ANSWER;
}
