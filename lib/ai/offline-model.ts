/**
 * Keel's `offline` provider: used when no API key is configured (fresh machine, CI).
 *
 * Implements the AI SDK 6 provider specs (LanguageModelV3 / EmbeddingModelV3) so that
 * `generateText`, `streamText`, `Output.object`, `generateObject`, `embed` and `embedMany`
 * work unchanged. Everything here is a pure function of the input: no network, no clock,
 * no randomness, so the same call always produces the same output.
 */
import type {
  EmbeddingModelV3,
  EmbeddingModelV3CallOptions,
  EmbeddingModelV3Result,
  JSONObject,
  JSONSchema7,
  JSONSchema7Definition,
  JSONValue,
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3FinishReason,
  LanguageModelV3GenerateResult,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3ToolResultOutput,
  LanguageModelV3Usage,
} from "@ai-sdk/provider";
// `ai` re-exports the provider error classes; importing the runtime value from `ai` avoids a
// runtime dependency on the transitive `@ai-sdk/provider` package (the import above is type-only).
import { TooManyEmbeddingValuesForCallError } from "ai";
import { countTokens } from "./tokens";

/** Exact answer when the context exists but nothing in it overlaps the question. */
export const OFFLINE_NO_ANSWER = "I could not find an answer to that in the provided context.";

// ---------------------------------------------------------------------------------------------
// Words, stemming, sentences
// ---------------------------------------------------------------------------------------------

// Small English stop-word list: function words plus question/instruction filler ("please",
// "tell") that would otherwise match unrelated sentences.
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against all also am an and any are as at be because been before being " +
    "below between both but by can could did do does doing done down during each either else etc ever " +
    "every few for from further get gets got had has have having he her here hers herself him himself his " +
    "how however i if in into is it its itself just let me might more most much must my myself neither no " +
    "nor not now of off on once one only or other others our ours ourselves out over own per please quite " +
    "rather really said say says shall she should since so some such than that the their theirs them " +
    "themselves then there these they this those though through thus to too under until up upon us use " +
    "used using very via was we were what whatever when where whether which while who whom whose why will " +
    "with within without would yes yet you your yours yourself yourselves tell know give show explain " +
    "describe according many"
  ).split(" "),
);

// Words whose trailing "." does not end a sentence.
const ABBREVIATIONS: ReadonlySet<string> = new Set("mr mrs ms dr prof sr jr st vs fig approx dept mt ft cf al".split(" "));

/**
 * Light, deterministic suffix stripping so "sensors"/"sensor" and "pricing"/"priced"/"price"
 * match. Deliberately crude (no dictionary): it only has to be consistent between the question
 * and the context.
 */
function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (/ies$/.test(w) && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(?:sses|xes|ches|shes)$/.test(w)) w = w.slice(0, -2);
  else if (/s$/.test(w) && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);

  if (/ied$/.test(w) && w.length > 4) return `${w.slice(0, -3)}y`;
  const verbal = /(?:ing|ed)$/.exec(w);
  if (verbal && w.length - verbal[0].length >= 3) {
    w = w.slice(0, -verbal[0].length);
    // "running" -> "runn" -> "run"
    if (/([bdfgkmnprt])\1$/.test(w)) w = w.slice(0, -1);
    return w;
  }
  if (w.length >= 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

/** Lowercased words with possessives removed; the shared tokenisation for questions and context. */
function rawWords(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .replace(/['’]s\b/g, "")
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Content words: stop words and single letters dropped, then stemmed. */
function contentTerms(text: string): string[] {
  const terms: string[] = [];
  for (const word of rawWords(text)) {
    if (STOP_WORDS.has(word)) continue;
    if (word.length === 1 && !/\d/.test(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}

// Words that describe the task rather than its subject ("summarise the document", "extract the
// entities"). They are dropped from queries (not from sentences), otherwise they match the
// instructions in a system prompt instead of the material.
const META_TERMS: ReadonlySet<string> = new Set(
  (
    "summarise summarize summary summaries document documents doc docs text context passage passages extract " +
    "entity entities list answer question provided following below above bullet bullets key point points " +
    "overview brief briefly short detail details information info main important item items tl dr tldr"
  )
    .split(" ")
    .map(stem),
);

/** Summary-style requests ("Summarise this", "TL;DR") with no subject fall back to the opening sentences. */
const SUMMARY_REQUEST = /\b(?:summar(?:ise|ize|y)|overview|tl;?dr|gist|recap|outline|key points?)\b/i;

/** Content terms of a question or field name, without task words. */
function queryTerms(text: string): Set<string> {
  return new Set(contentTerms(text).filter((term) => !META_TERMS.has(term)));
}

/** "keyPoints" / "key_points" -> "key points", so property names can be scored like questions. */
function splitIdentifier(name: string): string {
  return name
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, "$1 $2")
    .replace(/[_\-.]+/g, " ")
    .trim();
}

// Labels that prompt templates put in front of content ("Context: ...", "Document 2: ...").
const LEADING_LABEL =
  /^(?:context|question|q|answer|document|doc|source|passage|excerpt|background|reference|references|snippet|chunk|text|notes?)\s*(?:\[?\d+\]?)?\s*:\s*/i;
const QUESTION_LABEL = /^\s*(?:question|q)\s*:\s*/i;
const BULLET = /^(?:[-*+•▪‣◦]|\d{1,3}[.)])\s+/;
const HEADING = /^#{1,6}\s+/;
const ENDS_CLAUSE = /[.!?…:;]["'”’)\]]*$/;

/** Splits free text into paragraphs: blank lines, bullets and headings separate; wrapped lines join. */
function splitBlocks(text: string): string[] {
  const blocks: string[] = [];
  let current = "";
  const flush = (): void => {
    if (current.trim()) blocks.push(current.trim());
    current = "";
  };
  for (const rawLine of text.replace(/\r\n?/g, "\n").split("\n")) {
    let line = rawLine.trim();
    if (!line) {
      flush();
      continue;
    }
    const isHeading = HEADING.test(line);
    const isBullet = BULLET.test(line);
    line = line.replace(HEADING, "").replace(BULLET, "").replace(LEADING_LABEL, "").trim();
    if (!line) {
      flush();
      continue;
    }
    // A line continues the previous one when that one did not end a clause and this looks like a
    // wrap (lowercase start, or the previous line was long prose rather than a title).
    const continues =
      current !== "" && !isHeading && !isBullet && !ENDS_CLAUSE.test(current) && (/^[\p{Ll}\d(]/u.test(line) || current.split(/\s+/).length >= 8);
    if (continues) {
      current += ` ${line}`;
    } else {
      flush();
      current = line;
    }
    if (isHeading) flush();
  }
  flush();
  return blocks;
}

/** Sentence splitter that survives abbreviations ("Dr.", "e.g."), initials ("J. Smith") and decimals. */
function splitSentences(block: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (const match of block.matchAll(/[.!?…]+["'”’)\]]*(?=\s|$)/g)) {
    const end = match.index + match[0].length;
    if (match[0].startsWith(".") && !match[0].startsWith("..")) {
      const lastWord = /(\S+)$/.exec(block.slice(start, match.index))?.[1] ?? "";
      const bare = lastWord.replace(/^[("'“‘[]+/, "");
      if (ABBREVIATIONS.has(bare.toLowerCase()) || /^\p{Lu}$/u.test(bare) || /^(?:\p{L}\.)+\p{L}?$/u.test(bare)) {
        continue;
      }
    }
    const rest = block.slice(end).trimStart();
    // Only split when the next sentence plausibly starts here.
    if (rest && !/^[\p{Lu}\p{N}"'“‘([]/u.test(rest)) continue;
    const sentence = block.slice(start, end).trim();
    if (sentence) out.push(sentence);
    start = end;
  }
  const tail = block.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Corpus: sentences with IDF weights
// ---------------------------------------------------------------------------------------------

type SentenceSource = "system" | "message";

interface Sentence {
  readonly index: number;
  readonly text: string;
  readonly terms: ReadonlySet<string>;
  readonly source: SentenceSource;
}

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

class Corpus {
  readonly sentences: readonly Sentence[];
  private readonly documentFrequency = new Map<string, number>();
  /**
   * Words seen capitalised somewhere other than the start of a sentence: a capital at the start of
   * a sentence only marks a name ("Acme employs...") if the word is capitalised elsewhere too.
   */
  private readonly midSentenceCapitals = new Set<string>();

  constructor(parts: ReadonlyArray<{ text: string; source: SentenceSource }>) {
    const sentences: Sentence[] = [];
    const seen = new Set<string>();
    for (const part of parts) {
      for (const block of splitBlocks(part.text)) {
        for (const text of splitSentences(block)) {
          const terms = new Set(contentTerms(text));
          const key = text.toLowerCase().replace(/\s+/g, " ");
          // Sentences without content words ("OK.") cannot answer anything; duplicates (e.g. a
          // repeated system prompt) would only crowd out distinct sentences.
          if (terms.size === 0 || seen.has(key)) continue;
          seen.add(key);
          sentences.push({ index: sentences.length, text, terms, source: part.source });
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

  /** Sentences with score > 0, best first; ties go to document sentences, then to earlier ones. */
  rank(query: ReadonlySet<string>, pool: readonly Sentence[] = this.sentences): Scored[] {
    return pool
      .map((sentence) => ({ sentence, score: this.score(sentence, query) }))
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || sourceRank(a.sentence) - sourceRank(b.sentence) || a.sentence.index - b.sentence.index);
  }

  /**
   * Up to `max` sentences chosen greedily by how much *new* question weight each adds (so the
   * answer covers every part of a multi-part question instead of repeating one part), returned
   * in original order. The first pick is simply the best-scoring sentence.
   */
  select(query: ReadonlySet<string>, max: number, pool: readonly Sentence[] = this.sentences): Sentence[] {
    let maxIdf = 0;
    for (const term of query) maxIdf = Math.max(maxIdf, this.idf(term));
    const uncovered = new Set(query);
    const remaining = this.rank(query, pool).map((s) => s.sentence);
    const picked: Sentence[] = [];
    while (picked.length < max && remaining.length > 0) {
      let bestAt = -1;
      let bestGain = 0;
      remaining.forEach((sentence, i) => {
        const gain = this.score(sentence, uncovered);
        // `remaining` is already in rank order, so strict ">" keeps the tie-breaks of rank().
        if (gain > bestGain) {
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

  /** Document sentences first, so fallbacks quote the material rather than the system prompt. */
  leading(count: number): Sentence[] {
    return [...this.sentences].sort((a, b) => sourceRank(a) - sourceRank(b) || a.index - b.index).slice(0, count);
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

/**
 * "Acme" and "Acme Corp" name the same thing: fold a phrase into a longer one that contains it as
 * whole words, keeping the longer form and the combined count.
 */
function mergeContainedPhrases<T extends { phrase: string; count: number; first: number; relevance: number }>(phrases: T[]): T[] {
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

function sourceRank(sentence: Sentence): number {
  return sentence.source === "message" ? 0 : 1;
}

const PHRASE_CONNECTORS: ReadonlySet<string> = new Set(["of", "and", "&", "the", "for", "de", "von", "van", "la", "du"]);

/** A token without surrounding punctuation or a possessive "'s". */
function bareWord(token: string): string {
  return token.replace(/^[^\p{L}\p{N}]+/u, "").replace(/(?:['’]s)?[^\p{L}\p{N}]*$/u, "");
}

function isCapitalisedWord(word: string): boolean {
  return /^\p{Lu}/u.test(word) && !STOP_WORDS.has(word.toLowerCase());
}

/** Runs of capitalised words inside one sentence, e.g. "Bank of England", "Jane Doe". */
function capitalisedRuns(sentence: string, midSentenceCapitals: ReadonlySet<string>): string[] {
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

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Prompt handling
// ---------------------------------------------------------------------------------------------

interface ParsedPrompt {
  readonly question: string;
  readonly context: ReadonlyArray<{ text: string; source: SentenceSource }>;
  /** Every piece of text in the prompt, for input-token usage. */
  readonly allText: readonly string[];
}

function toolOutputText(output: LanguageModelV3ToolResultOutput): string {
  switch (output.type) {
    case "text":
    case "error-text":
      return output.value;
    case "json":
    case "error-json":
      return jsonStrings(output.value).join("\n");
    case "content":
      return output.value.map((part) => (part.type === "text" ? part.text : "")).join("\n");
    case "execution-denied":
      return output.reason ?? "";
  }
}

/** String leaves of a JSON value: tool results are usually objects, but their prose is in strings. */
function jsonStrings(value: JSONValue | undefined): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(jsonStrings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(jsonStrings);
  return [];
}

function messageTexts(message: LanguageModelV3Message): { context: string[]; all: string[] } {
  switch (message.role) {
    case "system":
      return { context: [message.content], all: [message.content] };
    case "user": {
      const texts = message.content.flatMap((part) => (part.type === "text" ? [part.text] : []));
      return { context: texts, all: texts };
    }
    case "assistant": {
      const context: string[] = [];
      const all: string[] = [];
      for (const part of message.content) {
        if (part.type === "text") {
          context.push(part.text);
          all.push(part.text);
        } else if (part.type === "reasoning") {
          all.push(part.text);
        } else if (part.type === "tool-call") {
          all.push(JSON.stringify(part.input) ?? "");
        } else if (part.type === "tool-result") {
          const text = toolOutputText(part.output);
          context.push(text);
          all.push(text);
        }
      }
      return { context, all };
    }
    case "tool": {
      const texts = message.content.flatMap((part) => (part.type === "tool-result" ? [toolOutputText(part.output)] : []));
      return { context: texts, all: texts };
    }
  }
}

/**
 * Splits the last user message into the question and any inline context. An explicit
 * "Question:" line wins (RAG templates often put the context first); otherwise the first
 * non-empty line is the question and the rest is context.
 */
function splitQuestion(text: string): { question: string; rest: string } {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let index = lines.findIndex((line) => QUESTION_LABEL.test(line));
  let question = "";
  if (index >= 0) {
    question = (lines[index] ?? "").replace(QUESTION_LABEL, "").trim();
    if (!question) {
      // "Question:" on its own line: the question is the next non-empty line.
      const next = lines.findIndex((line, i) => i > index && line.trim() !== "");
      if (next >= 0) {
        lines.splice(index, 1);
        index = next - 1;
        question = (lines[index] ?? "").trim();
      }
    }
  } else {
    index = lines.findIndex((line) => line.trim() !== "");
    question = index >= 0 ? (lines[index] ?? "").trim() : "";
  }
  const rest = index >= 0 ? lines.filter((_, i) => i !== index).join("\n") : "";
  return { question, rest };
}

function parsePrompt(prompt: LanguageModelV3Prompt): ParsedPrompt {
  let lastUser = -1;
  prompt.forEach((message, i) => {
    if (message.role === "user") lastUser = i;
  });
  const context: Array<{ text: string; source: SentenceSource }> = [];
  const allText: string[] = [];
  let question = "";
  let inline = "";
  prompt.forEach((message, i) => {
    const texts = messageTexts(message);
    allText.push(...texts.all);
    if (i === lastUser) {
      const split = splitQuestion(texts.context.join("\n"));
      question = split.question;
      inline = split.rest;
    } else {
      const source: SentenceSource = message.role === "system" ? "system" : "message";
      for (const text of texts.context) context.push({ text, source });
    }
  });
  // Inline context comes last: it is the freshest material the caller attached to the question.
  if (inline.trim()) context.push({ text: inline, source: "message" });
  return { question, context, allText };
}

function noContextAnswer(question: string): string {
  const echo = question.length > 200 ? `${question.slice(0, 199).trimEnd()}…` : question;
  return echo
    ? `The offline model only answers from supplied context, and none was provided for: "${echo}"`
    : "The offline model only answers from supplied context, and none was provided.";
}

function extractiveAnswer(corpus: Corpus, question: string): string {
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

// ---------------------------------------------------------------------------------------------
// Structured output: build a value that satisfies a JSON schema, from the context
// ---------------------------------------------------------------------------------------------

/** Property names whose values are short names rather than prose. */
const PHRASE_FIELD =
  /^(?:name|names|title|titles|label|labels|heading|headings|topic|topics|keyword|keywords|tag|tags|term|terms|entity|entities|subject|subjects|category|categories|person|people|persons|organi[sz]ations?|compan(?:y|ies)|places?|locations?|city|cities|country|countries|authors?|speakers?|participants?|products?|brands?|teams?)$/i;
/** Property names whose values are a multi-sentence extractive answer. */
const LONG_FIELD =
  /^(?:summary|answer|description|overview|abstract|explanation|text|content|body|response|details|reasoning|rationale|context|synopsis|result)$/i;

/** Beyond this depth only required properties are filled, so recursive schemas terminate. */
const OPTIONAL_PROPERTY_DEPTH = 4;
/** Hard stop for pathological recursive schemas. */
const MAX_DEPTH = 12;
const DEFAULT_LIST_SIZE = 5;

interface Focus {
  readonly phrase?: string;
  readonly sentence?: Sentence;
}

interface BuildContext {
  readonly corpus: Corpus;
  readonly question: ReadonlySet<string>;
  readonly root: JSONSchema7Definition;
  readonly focus?: Focus;
  /** $refs being expanded on the current path: meeting one again means the schema recurses. */
  readonly refs: ReadonlySet<string>;
  /** Inside recursion or deep nesting: only what the schema requires (keeps output finite and small). */
  readonly minimal: boolean;
}

function enterRef(ctx: BuildContext, ref: string): BuildContext {
  return { ...ctx, refs: new Set([...ctx.refs, ref]), minimal: ctx.minimal || ctx.refs.has(ref) };
}

function lastNameWord(name: string): string {
  const words = splitIdentifier(name).split(/\s+/);
  return words[words.length - 1] ?? "";
}

function fieldTerms(name: string, schema: JSONSchema7): Set<string> {
  return queryTerms(`${splitIdentifier(name)} ${schema.title ?? ""} ${schema.description ?? ""}`);
}

function humanise(name: string): string {
  const words = splitIdentifier(name).toLowerCase();
  return words ? capitalise(words) : "Value";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSchemaDefinition(value: unknown): value is JSONSchema7Definition {
  return typeof value === "boolean" || isRecord(value);
}

/** Resolves local refs ("#", "#/definitions/x", "#/$defs/x"); remote refs cannot be fetched offline. */
function resolveRef(ref: string, root: JSONSchema7Definition): JSONSchema7Definition {
  if (!ref.startsWith("#")) return true;
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    node = isRecord(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return isSchemaDefinition(node) ? node : true;
}

/** Deep-copies a schema literal (const/enum/default) into a JSONValue. */
function toJsonValue(value: unknown): JSONValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (isRecord(value)) {
    const out: JSONObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = toJsonValue(item);
    return out;
  }
  return null;
}

/** Merges allOf branches shallowly (properties and required are unioned); enough for generated schemas. */
function mergeAllOf(schema: JSONSchema7, root: JSONSchema7Definition): JSONSchema7 {
  const { allOf, ...rest } = schema;
  let merged: JSONSchema7 = { ...rest };
  for (const branch of allOf ?? []) {
    const resolved = typeof branch === "object" && branch.$ref ? resolveRef(branch.$ref, root) : branch;
    if (typeof resolved !== "object") continue;
    const part = resolved.allOf ? mergeAllOf(resolved, root) : resolved;
    merged = {
      ...part,
      ...merged,
      properties: { ...part.properties, ...merged.properties },
      required: [...new Set([...(part.required ?? []), ...(merged.required ?? [])])],
    };
  }
  return merged;
}

function primaryType(schema: JSONSchema7): string {
  const declared = schema.type;
  if (Array.isArray(declared)) {
    // Prefer a content-bearing type over "null" for nullable fields.
    return declared.find((t) => t !== "null") ?? "null";
  }
  if (declared) return declared;
  if (schema.properties || schema.additionalProperties !== undefined || schema.required) return "object";
  if (schema.items !== undefined) return "array";
  return "string";
}

function buildValue(definition: JSONSchema7Definition, name: string, ctx: BuildContext, depth: number): JSONValue {
  if (definition === true) return buildString({}, name, ctx);
  if (definition === false) return null;
  let schema = definition;
  if (schema.$ref) {
    if (depth > MAX_DEPTH) return null;
    return buildValue(resolveRef(schema.$ref, ctx.root), name, enterRef(ctx, schema.$ref), depth + 1);
  }
  if (schema.const !== undefined) return toJsonValue(schema.const);
  if (schema.enum && schema.enum.length > 0) return toJsonValue(schema.enum[0]);
  if (schema.allOf) schema = mergeAllOf(schema, ctx.root);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches && branches.length > 0) {
    // First branch that is not just `null` (zod emits anyOf [T, null] for nullable unions).
    const branch = branches.find((b) => !(typeof b === "object" && b.type === "null")) ?? branches[0] ?? true;
    return buildValue(branch, name, ctx, depth + 1);
  }
  switch (primaryType(schema)) {
    case "object":
      return buildObject(schema, name, ctx, depth);
    case "array":
      return buildArray(schema, name, ctx, depth);
    case "number":
      return buildNumber(schema, name, ctx, false);
    case "integer":
      return buildNumber(schema, name, ctx, true);
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return buildString(schema, name, ctx);
  }
}

function buildObject(schema: JSONSchema7, name: string, ctx: BuildContext, depth: number): JSONObject {
  const out: JSONObject = {};
  const required = new Set(schema.required ?? []);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (required.has(key) || (!ctx.minimal && depth < OPTIONAL_PROPERTY_DEPTH)) {
      out[key] = buildValue(property, key, ctx, depth + 1);
    }
  }
  // Required keys without a declared property take the additionalProperties schema.
  const extra: JSONSchema7Definition = typeof schema.additionalProperties === "object" ? schema.additionalProperties : true;
  for (const key of required) {
    if (!(key in out)) out[key] = buildValue(extra, key, ctx, depth + 1);
  }
  if (schema.additionalProperties !== false) {
    for (let i = Object.keys(out).length; i < (schema.minProperties ?? 0); i++) {
      out[`${name || "field"}${i + 1}`] = buildValue(extra, name, ctx, depth + 1);
    }
  }
  return out;
}

function buildArray(schema: JSONSchema7, name: string, outer: BuildContext, depth: number): JSONValue[] {
  let ctx = depth >= OPTIONAL_PROPERTY_DEPTH ? { ...outer, minimal: true } : outer;
  const minItems = schema.minItems ?? 0;
  const maxItems = schema.maxItems ?? Number.POSITIVE_INFINITY;
  if (depth > MAX_DEPTH) return [];

  // Tuples: draft-07 `items: [...]` or 2020-12 `prefixItems`.
  const prefix: unknown = Array.isArray(schema.items) ? schema.items : (schema as Record<string, unknown>)["prefixItems"];
  if (Array.isArray(prefix)) {
    const positional = prefix.filter(isSchemaDefinition);
    const rest: JSONSchema7Definition =
      typeof schema.additionalItems === "object" ? schema.additionalItems : isSchemaDefinition(schema.items) ? schema.items : true;
    const out = positional.slice(0, maxItems).map((item, i) => buildValue(item, `${name}${i + 1}`, ctx, depth + 1));
    while (out.length < minItems) out.push(buildValue(rest, name, ctx, depth + 1));
    return out;
  }

  let resolved: JSONSchema7Definition = isSchemaDefinition(schema.items) ? schema.items : true;
  for (let guard = 0; typeof resolved === "object" && resolved.$ref && guard < MAX_DEPTH; guard++) {
    ctx = enterRef(ctx, resolved.$ref);
    resolved = resolveRef(resolved.$ref, ctx.root);
  }
  const item = resolved;
  const target = ctx.minimal ? minItems : Math.max(minItems, Math.min(DEFAULT_LIST_SIZE, maxItems));
  const itemName = singular(name);

  if (typeof item === "object" && isPlainString(item)) {
    const candidates = stringCandidates(name, item, ctx, target);
    const values = candidates.slice(0, target);
    for (let i = 1; values.length < minItems; i++) {
      const placeholder = `${humanise(itemName)} ${values.length + i}`;
      if (!values.includes(placeholder)) values.push(placeholder);
    }
    return values.map((v) => fitString(v, item, itemName));
  }

  if (typeof item === "object" && primaryType(item) === "object" && !item.enum && item.const === undefined) {
    const seeds = objectSeeds(item, name, ctx, target);
    const count = Math.min(Math.max(seeds.length, minItems), maxItems);
    const out: JSONValue[] = [];
    for (let i = 0; i < count; i++) {
      out.push(buildValue(item, itemName, { ...ctx, focus: seeds[i] }, depth + 1));
    }
    return out;
  }

  // Enum items: distinct values in schema order, so uniqueItems holds.
  if (typeof item === "object" && item.enum && item.enum.length > 0) {
    const values = item.enum.map(toJsonValue);
    return Array.from({ length: minItems }, (_, i) => values[i % values.length] ?? null);
  }
  // Numbers, booleans, formatted strings...: the minimum the schema asks for.
  const out: JSONValue[] = [];
  for (let i = 0; i < minItems; i++) out.push(buildValue(item, itemName, ctx, depth + 1));
  return out;
}

function isPlainString(schema: JSONSchema7): boolean {
  return (
    schema.enum === undefined &&
    schema.const === undefined &&
    schema.anyOf === undefined &&
    schema.oneOf === undefined &&
    schema.format === undefined &&
    (schema.type === "string" || (Array.isArray(schema.type) && schema.type.includes("string") && primaryType(schema) === "string"))
  );
}

function singular(name: string): string {
  if (/ies$/i.test(name)) return `${name.slice(0, -3)}y`;
  if (/[^s]s$/i.test(name)) return name.slice(0, -1);
  return name;
}

/** Distinct strings for a list field: key phrases for name-like fields, otherwise sentences. */
function stringCandidates(name: string, item: JSONSchema7, ctx: BuildContext, target: number): string[] {
  const { corpus } = ctx;
  if (corpus.isEmpty) return [];
  if (PHRASE_FIELD.test(lastNameWord(name)) || PHRASE_FIELD.test(name)) {
    const phrases = corpus.keyPhrases(ctx.question).slice(0, target);
    return phrases.sort((a, b) => corpus.firstMention(a) - corpus.firstMention(b));
  }
  const query = new Set([...ctx.question, ...fieldTerms(name, item)]);
  const relevant = corpus
    .rank(query)
    .slice(0, target)
    .map((s) => s.sentence);
  // Nothing relevant (e.g. "Summarise this"): the opening sentences are the best generic points.
  const chosen = relevant.length > 0 ? relevant : corpus.leading(target);
  return chosen.sort((a, b) => a.index - b.index).map((s) => s.text);
}

/** One focus per array item: a key phrase when items are named things, otherwise a sentence. */
function objectSeeds(item: JSONSchema7, name: string, ctx: BuildContext, target: number): Focus[] {
  const { corpus } = ctx;
  if (corpus.isEmpty) return [];
  const properties = Object.keys(item.properties ?? {});
  const named = PHRASE_FIELD.test(lastNameWord(name)) || properties.some((p) => PHRASE_FIELD.test(lastNameWord(p)));
  if (named) {
    const phrases = corpus.keyPhrases(ctx.question).slice(0, target);
    phrases.sort((a, b) => corpus.firstMention(a) - corpus.firstMention(b));
    return phrases.map((phrase) => ({
      phrase,
      sentence: corpus.sentences.find((s) => s.text.toLowerCase().includes(phrase.toLowerCase())),
    }));
  }
  return stringCandidates(name, item, ctx, target).map((text) => {
    const sentence = corpus.sentences.find((s) => s.text === text);
    const phrase = sentence ? corpus.namesIn(sentence)[0] : undefined;
    return { sentence, phrase };
  });
}

function buildString(schema: JSONSchema7, name: string, ctx: BuildContext): string {
  let text = chooseString(schema, name, ctx);
  // Too short for minLength: extend with further context before resorting to padding.
  const minLength = schema.minLength ?? 0;
  for (const sentence of ctx.corpus.leading(ctx.corpus.sentences.length)) {
    if (text.length >= minLength) break;
    if (!text.includes(sentence.text)) text = text ? `${text} ${sentence.text}` : sentence.text;
  }
  return fitString(text, schema, name);
}

function chooseString(schema: JSONSchema7, name: string, ctx: BuildContext): string {
  const { corpus, focus } = ctx;
  const field = lastNameWord(name);
  if (PHRASE_FIELD.test(field)) {
    if (focus?.phrase) return focus.phrase;
    const phrase = corpus.keyPhrases(new Set([...ctx.question, ...fieldTerms(name, schema)]))[0];
    if (phrase) return phrase;
  }
  if (focus?.sentence) return focus.sentence.text;
  const long = LONG_FIELD.test(field) || name === "";
  const query = new Set([...ctx.question, ...fieldTerms(name, schema)]);
  // A subject-less request ("Summarise this") gets the opening sentences for prose fields.
  const picked = query.size === 0 && long ? corpus.leading(3) : corpus.select(query, long ? 3 : 1);
  if (picked.length > 0)
    return [...picked]
      .sort((a, b) => a.index - b.index)
      .map((s) => s.text)
      .join(" ");
  return corpus.leading(1)[0]?.text ?? "";
}

// Deterministic values for formats the extractive text can never satisfy.
const FORMAT_PLACEHOLDERS: Readonly<Record<string, string>> = {
  email: "offline@example.com",
  "idn-email": "offline@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  iri: "https://example.com/",
  "uri-reference": "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  "date-time": "1970-01-01T00:00:00Z",
  date: "1970-01-01",
  time: "00:00:00",
  duration: "P0D",
  hostname: "example.com",
  ipv4: "127.0.0.1",
  ipv6: "::1",
};

/** Applies format, maxLength and minLength so the string validates. */
function fitString(value: string, schema: JSONSchema7, name: string): string {
  let text = (schema.format && FORMAT_PLACEHOLDERS[schema.format]) ?? value;
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? Number.POSITIVE_INFINITY;
  if (text.length === 0 && minLength > 0) text = humanise(name);
  while (text.length < minLength) text = `${text} ${humanise(name)}`;
  if (text.length > maxLength) {
    const cut = text.slice(0, maxLength);
    const atWord = cut.replace(/\s+\S*$/, "");
    text = atWord.length >= minLength && atWord.length > 0 ? atWord : cut;
  }
  return text;
}

function buildNumber(schema: JSONSchema7, name: string, ctx: BuildContext, integer: boolean): number {
  const { corpus } = ctx;
  let low = schema.minimum ?? Number.NEGATIVE_INFINITY;
  let high = schema.maximum ?? Number.POSITIVE_INFINITY;
  const step = integer ? 1 : 1e-6;
  if (typeof schema.exclusiveMinimum === "number") low = Math.max(low, schema.exclusiveMinimum + step);
  if (typeof schema.exclusiveMaximum === "number") high = Math.min(high, schema.exclusiveMaximum - step);
  if (integer) {
    low = Math.ceil(low);
    high = Math.floor(high);
  }
  const fits = (n: number): boolean => n >= low && n <= high && (!integer || Number.isInteger(n)) && (!schema.multipleOf || isMultiple(n, schema.multipleOf));

  // A number stated in the sentence most about this field ("employs 450 people" for "people").
  const terms = fieldTerms(name, schema);
  const pool = ctx.focus?.sentence ? [ctx.focus.sentence] : corpus.rank(terms).map((s) => s.sentence);
  for (const sentence of terms.size > 0 ? pool : []) {
    for (const match of sentence.text.replace(/(\d),(\d{3})/g, "$1$2").matchAll(/-?\d+(?:\.\d+)?/g)) {
      const n = Number(match[0]);
      if (fits(n)) return n;
    }
  }
  // Otherwise a count: sentences relevant to the question and field, or all sentences.
  const relevant = corpus.rank(new Set([...ctx.question, ...terms])).length;
  let n = relevant > 0 ? relevant : corpus.sentences.length;
  n = Math.min(Math.max(n, low), high);
  if (!Number.isFinite(n)) n = 0;
  if (schema.multipleOf) {
    const m = schema.multipleOf;
    const up = Math.ceil(n / m) * m;
    n = up <= high ? up : Math.floor(n / m) * m;
  }
  return integer ? Math.round(n) : n;
}

function isMultiple(n: number, of: number): boolean {
  const ratio = n / of;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

function structuredAnswer(corpus: Corpus, question: string, schema: JSONSchema7 | undefined): string {
  if (!schema) return JSON.stringify({ answer: extractiveAnswer(corpus, question) });
  const ctx: BuildContext = { corpus, question: queryTerms(question), root: schema, refs: new Set(), minimal: false };
  return JSON.stringify(buildValue(schema, "", ctx, 0));
}

// ---------------------------------------------------------------------------------------------
// Language model
// ---------------------------------------------------------------------------------------------

export interface OfflineLanguageModelOptions {
  /** Defaults to "keel-offline-extractive". */
  modelId?: string;
  /** Delay between streamed text deltas, to mimic a real model in demos and abort tests. Default 0. */
  tokenDelayMs?: number;
}

interface Completion {
  readonly text: string;
  readonly finishReason: LanguageModelV3FinishReason;
  readonly usage: LanguageModelV3Usage;
}

/** Splits text into word pieces that keep their trailing whitespace, so they concatenate back exactly. */
function wordPieces(text: string): string[] {
  return text.match(/\s+|\S+\s*/g) ?? [];
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  // The SDK treats AbortError/TimeoutError as a clean abort (streamText emits an "abort" part).
  if (reason instanceof Error && (reason.name === "AbortError" || reason.name === "TimeoutError")) return reason;
  const error = new Error(typeof reason === "string" ? `Aborted: ${reason}` : "The operation was aborted.", { cause: reason });
  error.name = "AbortError";
  return error;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      if (signal) reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Extractive, deterministic stand-in for a chat model: it answers with the context sentences that
 * best overlap the question, and fills JSON schemas from the same sentences.
 */
export class OfflineLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3" as const;
  readonly provider = "offline";
  readonly modelId: string;
  readonly tokenDelayMs: number;
  // Claim every URL so the SDK never downloads attached files: offline means no network, and the
  // model ignores files anyway.
  readonly supportedUrls: Record<string, RegExp[]> = { "*/*": [/^[a-z][a-z0-9+.-]*:/] };

  constructor(options: OfflineLanguageModelOptions = {}) {
    this.modelId = options.modelId ?? "keel-offline-extractive";
    const delay = options.tokenDelayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0) throw new RangeError("tokenDelayMs must be a non-negative number");
    this.tokenDelayMs = delay;
  }

  private complete(options: LanguageModelV3CallOptions): Completion {
    const parsed = parsePrompt(options.prompt);
    const corpus = new Corpus(parsed.context);
    const format = options.responseFormat;
    let text: string;
    let unified: LanguageModelV3FinishReason["unified"] = "stop";
    if (format?.type === "json") {
      // JSON must stay parseable, so maxOutputTokens and stop sequences are not applied here.
      text = structuredAnswer(corpus, parsed.question, format.schema);
    } else {
      text = extractiveAnswer(corpus, parsed.question);
      for (const stop of options.stopSequences ?? []) {
        const at = stop ? text.indexOf(stop) : -1;
        if (at >= 0) text = text.slice(0, at);
      }
      if (options.maxOutputTokens !== undefined && countTokens(text) > options.maxOutputTokens) {
        let kept = "";
        for (const piece of wordPieces(text)) {
          if (countTokens(kept + piece) > options.maxOutputTokens) break;
          kept += piece;
        }
        text = kept.trimEnd();
        unified = "length";
      }
    }
    const inputTokens = parsed.allText.reduce((sum, t) => sum + countTokens(t), 0);
    const outputTokens = countTokens(text);
    return {
      text,
      finishReason: { unified, raw: unified },
      usage: {
        inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
      },
    };
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal);
    const { text, finishReason, usage } = this.complete(options);
    return {
      content: [{ type: "text", text }],
      finishReason,
      usage,
      warnings: [],
      response: { modelId: this.modelId },
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const signal = options.abortSignal;
    if (signal?.aborted) throw abortError(signal);
    const { text, finishReason, usage } = this.complete(options);
    const id = "text-0";
    const parts: LanguageModelV3StreamPart[] = [
      { type: "stream-start", warnings: [] },
      { type: "text-start", id },
      ...wordPieces(text).map((delta): LanguageModelV3StreamPart => ({ type: "text-delta", id, delta })),
      { type: "text-end", id },
      { type: "finish", finishReason, usage },
    ];
    const delay = this.tokenDelayMs;
    let next = 0;
    let deltasSent = 0;
    let finished = false;
    let onAbort: (() => void) | undefined;
    const cleanup = (): void => {
      finished = true;
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    };

    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start(controller) {
        if (!signal) return;
        // Error immediately on abort, even if the consumer is not currently waiting on a read.
        onAbort = (): void => {
          if (finished) return;
          cleanup();
          controller.error(abortError(signal));
        };
        signal.addEventListener("abort", onAbort, { once: true });
      },
      async pull(controller) {
        const part = parts[next];
        if (finished || !part) return;
        if (part.type === "text-delta" && delay > 0 && deltasSent > 0) {
          try {
            await sleep(delay, signal);
          } catch (error) {
            if (!finished) {
              cleanup();
              controller.error(error);
            }
            return;
          }
          if (finished) return;
        }
        controller.enqueue(part);
        next += 1;
        if (part.type === "text-delta") deltasSent += 1;
        if (next === parts.length) {
          cleanup();
          controller.close();
        }
      },
      cancel() {
        cleanup();
      },
    });
    return { stream };
  }
}

// ---------------------------------------------------------------------------------------------
// Embeddings
// ---------------------------------------------------------------------------------------------

/** FNV-1a over UTF-16 code units: fast, dependency-free and stable across platforms. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3 finaliser: decorrelates the sign bit from the bucket index taken from the same hash. */
function mix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Words carry meaning; bigrams add a little word order; trigrams give typo/morphology tolerance.
// Stop words are kept (so "to be or not to be" is not empty) but weigh less.
const UNIGRAM_WEIGHT = 1;
const STOP_WORD_WEIGHT = 0.3;
const BIGRAM_WEIGHT = 0.5;
const TRIGRAM_WEIGHT = 0.25;

function addTrigrams(features: Map<string, number>, word: string, prefix: string): void {
  const chars = Array.from(`^${word}$`);
  for (let i = 0; i + 3 <= chars.length; i++) {
    const key = `${prefix}${chars[i]}${chars[i + 1]}${chars[i + 2]}`;
    features.set(key, (features.get(key) ?? 0) + 1);
  }
}

function validateDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError("dimensions must be a positive integer");
}

/**
 * Feature-hashing embedding (synchronous; the same function the embedding model uses).
 * Always returns a unit vector of length `dimensions`; text without any features maps to a fixed
 * unit vector because zero vectors break cosine similarity in pgvector.
 */
export function embedTextOffline(text: string, dimensions = 384): number[] {
  validateDimensions(dimensions);
  const words =
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  // Feature keys are namespaced so a word never collides with an identical trigram by construction.
  const counts = new Map<string, number>();
  const bump = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  words.forEach((word, i) => {
    bump(`w\u0000${word}`);
    const prev = words[i - 1];
    if (prev !== undefined) bump(`b\u0000${prev} ${word}`);
    addTrigrams(counts, word, "c\u0000");
  });
  if (words.length === 0) {
    // Punctuation-only text ("???") still deserves a stable, distinct vector.
    const symbols = text.normalize("NFKC").replace(/\s+/g, "");
    if (symbols) addTrigrams(counts, symbols, "p\u0000");
  }

  const vector = new Float64Array(dimensions);
  for (const [key, tf] of counts) {
    const kind = key.charAt(0);
    const base = kind === "w" ? (STOP_WORDS.has(key.slice(2)) ? STOP_WORD_WEIGHT : UNIGRAM_WEIGHT) : kind === "b" ? BIGRAM_WEIGHT : TRIGRAM_WEIGHT;
    const hash = fnv1a32(key);
    const sign = mix32(hash) & 1 ? -1 : 1;
    const index = hash % dimensions;
    // Sublinear tf: repeating a word ten times should not make it ten times as important.
    vector[index] = (vector[index] ?? 0) + sign * base * (1 + Math.log(tf));
  }

  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm === 0) return new Array<number>(dimensions).fill(1 / Math.sqrt(dimensions));
  return Array.from(vector, (v) => v / norm);
}

export interface OfflineEmbeddingModelOptions {
  /** Vector length. Defaults to 384. */
  dimensions?: number;
  /** Defaults to `keel-offline-hash-${dimensions}`. */
  modelId?: string;
}

/** Deterministic hashed bag-of-features embeddings; no model weights, no network. */
export class OfflineEmbeddingModel implements EmbeddingModelV3 {
  readonly specificationVersion = "v3" as const;
  readonly provider = "offline";
  readonly modelId: string;
  readonly dimensions: number;
  readonly maxEmbeddingsPerCall = 2048;
  readonly supportsParallelCalls = true;

  constructor(options: OfflineEmbeddingModelOptions = {}) {
    const dimensions = options.dimensions ?? 384;
    validateDimensions(dimensions);
    this.dimensions = dimensions;
    this.modelId = options.modelId ?? `keel-offline-hash-${dimensions}`;
  }

  async doEmbed(options: EmbeddingModelV3CallOptions): Promise<EmbeddingModelV3Result> {
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal);
    if (options.values.length > this.maxEmbeddingsPerCall) {
      throw new TooManyEmbeddingValuesForCallError({
        provider: this.provider,
        modelId: this.modelId,
        maxEmbeddingsPerCall: this.maxEmbeddingsPerCall,
        values: options.values,
      });
    }
    return {
      embeddings: options.values.map((value) => embedTextOffline(value, this.dimensions)),
      usage: { tokens: options.values.reduce((sum, value) => sum + countTokens(value), 0) },
      warnings: [],
    };
  }
}
