// Capitalised names and key phrases ("Acme Corp", "Bank of England") found in sentences.
import { STOP_WORDS } from "./text";

/**
 * "Acme" and "Acme Corp" name the same thing: fold a phrase into a longer one that contains it as
 * whole words, keeping the longer form and the combined count.
 */
export function mergeContainedPhrases<T extends { phrase: string; count: number; first: number; relevance: number }>(phrases: T[]): T[] {
  const byLength = [...phrases].sort((a, b) => b.phrase.length - a.phrase.length || a.first - b.first);
  const kept: T[] = [];
  for (const candidate of byLength) {
    const needle = ` ${candidate.phrase.toLowerCase()} `;
    const host = kept.find((k) => ` ${k.phrase.toLowerCase()} `.includes(needle));
    if (host) {
      host.count += candidate.count;
      host.first = Math.min(host.first, candidate.first);
      host.relevance = Math.max(host.relevance, candidate.relevance);
    } else {
      kept.push({ ...candidate });
    }
  }
  return kept;
}

const PHRASE_CONNECTORS: ReadonlySet<string> = new Set(["of", "and", "&", "the", "for", "de", "von", "van", "la", "du"]);

/** A token without surrounding punctuation or a possessive "'s". */
export function bareWord(token: string): string {
  // Trimmed by walking in from each end: an anchored pattern at the end would rescan a long token.
  const chars = Array.from(token);
  let start = 0;
  let end = chars.length;
  while (start < end && !LETTER_OR_DIGIT.test(chars[start]!)) start++;
  while (end > start && !LETTER_OR_DIGIT.test(chars[end - 1]!)) end--;
  // A possessive "'s" goes with the punctuation after it.
  if (end - start > 2 && chars[end - 1] === "s" && (chars[end - 2] === "'" || chars[end - 2] === "’")) end -= 2;
  return chars.slice(start, end).join("");
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

function isCapitalisedWord(word: string): boolean {
  return /^\p{Lu}/u.test(word) && !STOP_WORDS.has(word.toLowerCase());
}

/** Runs of capitalised words inside one sentence, e.g. "Bank of England", "Jane Doe". */
export function capitalisedRuns(sentence: string, midSentenceCapitals: ReadonlySet<string>): string[] {
  const runs: string[] = [];
  let run: string[] = [];
  let pendingConnectors: string[] = [];
  const flush = (): void => {
    if (run.length > 0) runs.push(run.join(" "));
    run = [];
    pendingConnectors = [];
  };
  const tokens = sentence.split(/\s+/).filter(Boolean);
  tokens.forEach((token, position) => {
    const word = bareWord(token);
    const breaksAfter = /[,;:.!?)"”]$/.test(token) || /['’]s[^\p{L}]*$/u.test(token);
    // A capital at the start of a sentence is just grammar unless the word is capitalised
    // elsewhere too, or starts a multi-word name ("Acme Corp was...").
    const next = tokens[position + 1];
    const isName =
      isCapitalisedWord(word) &&
      (position > 0 || midSentenceCapitals.has(word.toLowerCase()) || (!breaksAfter && next !== undefined && isCapitalisedWord(bareWord(next))));
    if (isName) {
      run.push(...pendingConnectors, word);
      pendingConnectors = [];
    } else if (run.length > 0 && PHRASE_CONNECTORS.has(word) && !breaksAfter) {
      pendingConnectors.push(word);
    } else {
      flush();
    }
    if (breaksAfter) flush();
  });
  flush();
  return runs;
}
