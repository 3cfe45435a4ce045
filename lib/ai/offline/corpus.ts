// The extractive corpus: the context's sentences with IDF weights, ranked and selected per question.
import { capitalisedRuns, bareWord, mergeContainedPhrases } from "./names";
import { capitalise, contentTerms, isInstruction, isQuestion, rawWords, splitBlocks, splitSentences, stem, STOP_WORDS } from "./text";

type SentenceSource = "system" | "message";

/** A piece of the prompt to answer from; `citation` is the number of the source it quotes, if numbered. */
export interface ContextPart {
  readonly text: string;
  readonly source: SentenceSource;
  readonly citation?: string;
  /** The caller's own request, read for the values it names (tool arguments): its questions are kept. */
  readonly request?: boolean;
}

export interface Sentence {
  readonly index: number;
  readonly text: string;
  readonly terms: ReadonlySet<string>;
  readonly source: SentenceSource;
  /** The paragraph it belongs to (in corpus order), so a summary can take each one's opening. */
  readonly block: number;
  readonly citation?: string;
}

/** A numbered source's own reference marks ("[12]" footnotes) would read as citations of other sources. */
const REFERENCE_MARK = /\s?\[\d{1,3}\]/g;

interface Scored {
  readonly sentence: Sentence;
  readonly score: number;
}

/**
 * A further sentence must add at least this fraction of the weight of the rarest matched question
 * word. Keeps "Munich" for "...and where is the headquarters?" but drops sentences that only repeat
 * a common word such as the company name.
 */
const MIN_GAIN_RATIO = 0.5;

/** How much more a sentence that holds the kind of answer asked for (a number for "how many") weighs. */
const ANSWER_TYPE_WEIGHT = 4;

/**
 * Context read per call, in characters: more than retrieval sends (a dozen passages of a few KB)
 * or a document section's analysis (6,000 tokens), and a bound on the work one prompt can cause on
 * the app's own thread (about 0.1 s here; 256 KB took 0.5 s). The rest is not read.
 */
export const MAX_CONTEXT_CHARS = 64 * 1024;

export class Corpus {
  readonly sentences: readonly Sentence[];
  private readonly documentFrequency = new Map<string, number>();
  /**
   * Words seen capitalised somewhere other than the start of a sentence: a capital at the start of
   * a sentence only marks a name ("Acme employs...") if the word is capitalised elsewhere too.
   */
  private readonly midSentenceCapitals = new Set<string>();

  constructor(parts: readonly ContextPart[]) {
    const sentences: Sentence[] = [];
    const seen = new Set<string>();
    let blockIndex = 0;
    let budget = MAX_CONTEXT_CHARS;
    for (const part of parts) {
      if (budget <= 0) break;
      const bounded = part.text.length > budget ? part.text.slice(0, budget) : part.text;
      budget -= bounded.length;
      const partText = part.citation === undefined ? bounded : bounded.replace(REFERENCE_MARK, "");
      for (const block of splitBlocks(partText)) {
        // Titles name sections; they state nothing to quote or to take names from.
        if (block.title) continue;
        blockIndex += 1;
        for (const text of splitSentences(block.text)) {
          if (part.source === "system" && isInstruction(text)) continue;
          if (isQuestion(text) && !part.request) continue;
          const terms = new Set(contentTerms(text));
          const key = text.toLowerCase().replace(/\s+/g, " ");
          // Sentences without content words ("OK.") cannot answer anything; duplicates (e.g. a
          // repeated system prompt, or the overlap of two passages) would only crowd out distinct
          // sentences. The first copy is kept, with its source's citation.
          if (terms.size === 0 || seen.has(key)) continue;
          seen.add(key);
          sentences.push({ index: sentences.length, text, terms, source: part.source, block: blockIndex, citation: part.citation });
          text
            .split(/\s+/)
            .slice(1)
            .map((token) => token.replace(/^[^\p{L}\p{N}]+/u, ""))
            .filter((word) => /^\p{Lu}/u.test(word))
            .forEach((word) => this.midSentenceCapitals.add(bareWord(word).toLowerCase()));
        }
      }
    }
    this.sentences = sentences;
    for (const sentence of sentences) {
      for (const term of sentence.terms) {
        this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
      }
    }
  }

  get isEmpty(): boolean {
    return this.sentences.length === 0;
  }

  /** Rarer words weigh more: a term in every sentence says little about which one answers. */
  idf(term: string): number {
    const df = this.documentFrequency.get(term) ?? 0;
    // Smoothed so a single-sentence context still scores > 0.
    return df === 0 ? 0 : Math.log((this.sentences.length + 1) / df);
  }

  score(sentence: Sentence, query: ReadonlySet<string>): number {
    let score = 0;
    for (const term of query) if (sentence.terms.has(term)) score += this.idf(term);
    return score;
  }

  /**
   * Sentences with score > 0, best first; ties go to document sentences, then to earlier ones. A
   * sentence whose every word is in the question says nothing the question does not: it is left out.
   */
  rank(query: ReadonlySet<string>, pool: readonly Sentence[] = this.sentences): Scored[] {
    return pool
      .map((sentence) => ({ sentence, score: this.score(sentence, query) }))
      .filter((s) => s.score > 0 && [...s.sentence.terms].some((term) => !query.has(term)))
      .sort((a, b) => b.score - a.score || sourceRank(a.sentence) - sourceRank(b.sentence) || a.sentence.index - b.sentence.index);
  }

  /**
   * Up to `max` sentences chosen greedily by how much *new* question weight each adds (so the
   * answer covers every part of a multi-part question instead of repeating one part), returned
   * in original order. The first pick is simply the best-scoring sentence.
   */
  select(query: ReadonlySet<string>, max: number, pool: readonly Sentence[] = this.sentences, fits?: (sentence: Sentence) => boolean): Sentence[] {
    let maxIdf = 0;
    for (const term of query) maxIdf = Math.max(maxIdf, this.idf(term));
    const uncovered = new Set(query);
    const remaining = this.rank(query, pool).map((s) => s.sentence);
    const picked: Sentence[] = [];
    while (picked.length < max && remaining.length > 0) {
      let bestAt = -1;
      let bestGain = 0;
      let bestWeight = 0;
      remaining.forEach((sentence, i) => {
        const gain = this.score(sentence, uncovered);
        // A sentence holding the kind of answer asked for outweighs one that only shares more words.
        const weight = gain > 0 && fits?.(sentence) ? gain * ANSWER_TYPE_WEIGHT : gain;
        // `remaining` is already in rank order, so strict ">" keeps the tie-breaks of rank().
        if (weight > bestWeight) {
          bestWeight = weight;
          bestGain = gain;
          bestAt = i;
        }
      });
      const chosen = remaining[bestAt];
      if (!chosen || (picked.length > 0 && bestGain < maxIdf * MIN_GAIN_RATIO)) break;
      picked.push(chosen);
      remaining.splice(bestAt, 1);
      for (const term of chosen.terms) uncovered.delete(term);
    }
    return picked.sort((a, b) => a.index - b.index);
  }

  /**
   * The opening sentence of each paragraph, then the rest, in order: an extractive summary that
   * covers the material rather than its first paragraph. Document sentences come first, so
   * fallbacks quote the material rather than the system prompt.
   */
  leading(count: number): Sentence[] {
    const opening = new Set<number>();
    const openings: Sentence[] = [];
    for (const sentence of this.sentences) {
      if (opening.has(sentence.block)) continue;
      opening.add(sentence.block);
      openings.push(sentence);
    }
    const firsts = new Set(openings);
    const order = (a: Sentence, b: Sentence) => sourceRank(a) - sourceRank(b) || Number(firsts.has(b)) - Number(firsts.has(a)) || a.index - b.index;
    return [...this.sentences].sort(order).slice(0, count);
  }

  /**
   * Capitalised key phrases ("Acme Corp", "Jane Doe", "EU"), most relevant to `query` first.
   * Falls back to the highest tf-idf content words when the text has no capitalised names.
   */
  keyPhrases(query: ReadonlySet<string>): string[] {
    interface PhraseStat {
      phrase: string;
      count: number;
      first: number;
      relevance: number;
    }
    const stats = new Map<string, PhraseStat>();
    let order = 0;
    for (const sentence of this.sentences) {
      const sentenceScore = this.score(sentence, query);
      for (const phrase of this.namesIn(sentence)) {
        const key = phrase.toLowerCase();
        const stat = stats.get(key);
        if (stat) {
          stat.count += 1;
          stat.relevance = Math.max(stat.relevance, sentenceScore);
        } else {
          let direct = 0;
          for (const term of contentTerms(phrase)) if (query.has(term)) direct += this.idf(term);
          stats.set(key, { phrase, count: 1, first: order++, relevance: sentenceScore + 2 * direct });
        }
      }
    }
    let phrases = mergeContainedPhrases([...stats.values()]);
    if (phrases.length === 0) {
      // No names at all (e.g. lowercase notes): use the most distinctive content words instead.
      const tf = new Map<string, PhraseStat>();
      for (const sentence of this.sentences) {
        for (const word of rawWords(sentence.text)) {
          if (STOP_WORDS.has(word) || word.length < 3 || /^\d+$/.test(word)) continue;
          const term = stem(word);
          const stat = tf.get(term);
          if (stat) stat.count += 1;
          else tf.set(term, { phrase: capitalise(word), count: 1, first: order++, relevance: query.has(term) ? 1 : 0 });
        }
      }
      phrases = [...tf.entries()].map(([term, stat]) => ({ ...stat, count: stat.count * this.idf(term) }));
    }
    return phrases.sort((a, b) => b.relevance + b.count - (a.relevance + a.count) || a.first - b.first).map((p) => p.phrase);
  }

  /** Capitalised names within one sentence, using the corpus-wide sentence-start evidence. */
  namesIn(sentence: Sentence): string[] {
    return capitalisedRuns(sentence.text, this.midSentenceCapitals);
  }

  /** First-occurrence position of a phrase, for presenting selected phrases in document order. */
  firstMention(phrase: string): number {
    const needle = phrase.toLowerCase();
    const hit = this.sentences.find((s) => s.text.toLowerCase().includes(needle));
    return hit ? hit.index : Number.MAX_SAFE_INTEGER;
  }
}

/** Numbered sources first, then other material, then the system prompt. */
function sourceRank(sentence: Sentence): number {
  if (sentence.source === "system") return 2;
  return sentence.citation === undefined ? 1 : 0;
}
