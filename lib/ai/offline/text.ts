// Words, stemming, paragraphs and sentences: the shared tokenisation of questions and context.
// Small English stop-word list: function words plus question/instruction filler ("please",
// "tell") that would otherwise match unrelated sentences.
export const STOP_WORDS: ReadonlySet<string> = new Set(
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
export function stem(word: string): string {
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
export function rawWords(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .replace(/['’]s\b/g, "")
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Content words: stop words and single letters dropped, then stemmed. */
export function contentTerms(text: string): string[] {
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
    "overview brief briefly short detail details information info main important item items tl dr tldr " +
    "analyse analyze analysis named section sections json schema"
  )
    .split(" ")
    .map(stem),
);

/** Summary-style requests ("Summarise this", "TL;DR") with no subject fall back to the opening sentences. */
export const SUMMARY_REQUEST = /\b(?:summar(?:ise|ize|y)|overview|tl;?dr|gist|recap|outline|key points?)\b/i;

/** A question is read up to this many characters and this many distinct terms: enough for any real one. */
const MAX_QUERY_CHARS = 4_096;
const MAX_QUERY_TERMS = 64;

/** Content terms of a question or field name, without task words. */
export function queryTerms(text: string): Set<string> {
  const terms = new Set<string>();
  for (const term of contentTerms(text.slice(0, MAX_QUERY_CHARS))) {
    if (META_TERMS.has(term)) continue;
    terms.add(term);
    if (terms.size >= MAX_QUERY_TERMS) break;
  }
  return terms;
}

/**
 * The terms of a request to the model. A summary request's numbers are positions ("section 2 of
 * 5"), not subjects, so they are dropped there; a question's numbers ("in 2021?") stay.
 */
export function requestTerms(question: string): Set<string> {
  // "How long…", "how far…" ask for a kind of answer; their adjective is not the subject.
  const terms = queryTerms(question.replace(/\bhow\s+(?:long|far|often|old|big|large|small|soon|fast|heavy|powerful|tall|high)\b/gi, "how"));
  if (SUMMARY_REQUEST.test(question)) for (const term of terms) if (/^\d+$/.test(term)) terms.delete(term);
  return terms;
}

/** "keyPoints" / "key_points" -> "key points", so property names can be scored like questions. */
export function splitIdentifier(name: string): string {
  return name
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, "$1 $2")
    .replace(/[_\-.]+/g, " ")
    .trim();
}

// Labels that prompt templates put in front of content ("Context: ...", "Document 2: ...").
const LEADING_LABEL =
  /^(?:context|question|q|answer|document|doc|source|passage|excerpt|background|reference|references|snippet|chunk|text|notes?)[ \t]*(?:\[?\d{1,6}\]?[ \t]*)?:\s*/i;
const BULLET = /^(?:[-*+•▪‣◦]|\d{1,3}[.)])\s+/;
const HEADING = /^#{1,6}\s+/;
const CLOSING_QUOTES = new Set(['"', "'", "”", "’", ")", "]"]);
const CLAUSE_ENDS = new Set([".", "!", "?", "…", ":", ";"]);

/** Whether the line ends a clause (end mark, then any closing quotes): read from its end only. */
function endsClause(line: string): boolean {
  let at = line.length - 1;
  while (at >= 0 && CLOSING_QUOTES.has(line[at]!)) at--;
  return at >= 0 && CLAUSE_ENDS.has(line[at]!);
}

const WHITE_SPACE = /\s/;

function wordCount(line: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const space = WHITE_SPACE.test(line[i]!);
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

/**
 * A line of prompt-template markup only (`<document>`, `</context>`, `<source id="2">`): structure
 * around quoted material, never material itself.
 */
const MARKUP_LINE = /^(?:<\/?\s*[A-Za-z][\w:.-]{0,63}(?:\s[^<>]{0,300})?\/?>\s*)+$/;
const isMarkupLine = (line: string): boolean => MARKUP_LINE.test(line.trim());

/** Short title-like lines ("Quarterly Review") name what follows; they are not statements. */
const TITLE_MAX_WORDS = 8;

export interface TextBlock {
  readonly text: string;
  /** A heading or a title line: it names a section and is never quoted as a statement. */
  readonly title: boolean;
}

/**
 * Splits free text into paragraphs: blank lines, bullets and headings separate; wrapped lines join.
 * Markup-only lines are dropped; headings and title lines are marked as such.
 */
export function splitBlocks(text: string): TextBlock[] {
  const blocks: { text: string; title: boolean; lines: number; bullet: boolean }[] = [];
  let current = "";
  let heading = false;
  let bullet = false;
  let lines = 0;
  // Kept as lines are added, so a block of many lines is not rescanned for each one.
  let currentWords = 0;
  let currentEndsClause = false;
  const flush = (): void => {
    if (current.trim()) blocks.push({ text: current.trim(), title: heading, lines, bullet });
    current = "";
    heading = false;
    bullet = false;
    lines = 0;
    currentWords = 0;
  };
  for (const rawLine of text.replace(/\r\n?/g, "\n").split("\n")) {
    let line = rawLine.trim();
    if (!line || isMarkupLine(line)) {
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
    const continues = current !== "" && !isHeading && !isBullet && !currentEndsClause && (/^[\p{Ll}\d(]/u.test(line) || currentWords >= 8);
    if (continues) {
      current += ` ${line}`;
      lines += 1;
    } else {
      flush();
      current = line;
      heading = isHeading;
      bullet = isBullet;
      lines = 1;
    }
    currentWords += wordCount(line);
    currentEndsClause = endsClause(line);
    if (isHeading) flush();
  }
  flush();
  // A lone short line with no closing punctuation and more text after it is a title. (The last
  // block is left alone: it may be a sentence cut off at the end of a passage.)
  return blocks.map((block, i) => ({
    text: block.text,
    title:
      block.title ||
      (i < blocks.length - 1 &&
        block.lines === 1 &&
        !block.bullet &&
        !endsClause(block.text) &&
        !block.text.includes(":") &&
        wordCount(block.text) <= TITLE_MAX_WORDS),
  }));
}

/** The word that ends at `end` (not before `start`), found by walking back over it alone. */
function lastWordBefore(text: string, start: number, end: number): string {
  let at = end;
  while (at > start && !WHITE_SPACE.test(text[at - 1]!)) at--;
  return text.slice(at, end);
}

/** The first character at or after `from` that is not white space (the whole code point), or "". */
function nextVisibleCharacter(text: string, from: number): string {
  const visible = /\S/gu;
  visible.lastIndex = from;
  return visible.exec(text)?.[0] ?? "";
}

/** Sentence splitter that survives abbreviations ("Dr.", "e.g."), initials ("J. Smith") and decimals. */
export function splitSentences(block: string): string[] {
  const out: string[] = [];
  let start = 0;
  // The lookbehind starts a match only at the first mark of a run, so a long run of dots is read once.
  for (const match of block.matchAll(/(?<![.!?…])[.!?…]+["'”’)\]]*(?=\s|$)/g)) {
    const end = match.index + match[0].length;
    if (match[0].startsWith(".") && !match[0].startsWith("..")) {
      const lastWord = lastWordBefore(block, start, match.index);
      const bare = lastWord.replace(/^[("'“‘[]+/, "");
      if (ABBREVIATIONS.has(bare.toLowerCase()) || /^\p{Lu}$/u.test(bare) || /^(?:\p{L}\.)+\p{L}?$/u.test(bare)) {
        continue;
      }
    }
    // Only split when the next sentence plausibly starts here.
    const next = nextVisibleCharacter(block, end);
    if (next !== "" && !/^[\p{Lu}\p{N}"'“‘([]/u.test(next)) continue;
    const sentence = block.slice(start, end).trim();
    if (sentence) out.push(sentence);
    start = end;
  }
  const tail = block.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Sentences of a system prompt that address the model ("You are Keel…", "Answer from the
 * passages…", "Do not output HTML.") direct it: they are not material to quote as an answer, or a
 * question about the product's name would be answered with the product's own instructions.
 * Declarative sentences in a system prompt (context passed there, a common RAG layout) stay.
 */
const INSTRUCTION_START = /^(?:you|your|please|answer|write|cite|never|always|do not|don't|respond|reply|follow|ignore|refuse|act as)\b/i;
export const isInstruction = (sentence: string): boolean => INSTRUCTION_START.test(sentence.trim());

/** A question is never an answer: sentences asking something are not quoted. */
export const isQuestion = (sentence: string): boolean => /\?["'”’)\]]*$/.test(sentence.trim());
