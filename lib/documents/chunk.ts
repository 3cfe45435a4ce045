// Splits a document's text into chunks of at most `targetTokens` tokens counted by a real BPE
// tokenizer (o200k, as OpenAI's current models use), each beginning with the last ~20% of the
// chunk before it so that no passage is cut off from its context. Paragraphs are kept whole when
// they fit; longer ones are split at sentence ends, and only a sentence longer than a chunk is cut
// between tokens. Every chunk carries the heading above it and the pages it spans.
import { createHash } from "node:crypto";
import { decode } from "gpt-tokenizer/encoding/o200k_base";
import { defaultChunkSettings, type ChunkSettings } from "./chunk-settings";
import { DocumentRejected } from "./errors";
import type { TextSegment } from "./extract";
import { encodeBounded } from "./tokenize";

export interface Chunk {
  index: number;
  content: string;
  heading: string | null;
  pageStart: number | null;
  pageEnd: number | null;
  tokenCount: number;
  contentHash: string;
}

interface Unit {
  tokens: number[];
  heading: string | null;
  page: number | null;
}

// A sentence: text up to and including its end marks (or a line break), with the space after it.
// The three parts cannot overlap, so matching never backtracks.
const SENTENCE = /[^\n!.?\u3002\uff01\uff1f]+[!.?\u3002\uff01\uff1f]*\s*/gu;

function tooLong(maxDocumentTokens: number): DocumentRejected {
  return new DocumentRejected(
    "too_long",
    `This document could not be processed: its text is longer than ${maxDocumentTokens.toLocaleString("en")} tokens (about ${Math.round(maxDocumentTokens / 1300).toLocaleString("en")} pages), the most Keel analyses in one document. Split it into parts and upload those.`,
  );
}

/** Paragraphs, or pieces of a paragraph that alone exceeds a chunk. */
function unitsOf(segments: TextSegment[], maxTokens: number, maxDocumentTokens: number): Unit[] {
  const units: Unit[] = [];
  let total = 0;
  for (const segment of segments) {
    if (total > maxDocumentTokens) throw tooLong(maxDocumentTokens);
    for (const paragraph of segment.text.split(/\n{2,}/)) {
      const text = paragraph.trim();
      if (!text) continue;
      const tokens = encodeBounded(`${text}\n\n`);
      total += tokens.length;
      if (total > maxDocumentTokens) throw tooLong(maxDocumentTokens);
      if (tokens.length <= maxTokens) {
        units.push({ tokens, heading: segment.heading, page: segment.page });
        continue;
      }
      for (const sentence of text.match(SENTENCE) ?? [text]) {
        const sentenceTokens = encodeBounded(sentence);
        for (let i = 0; i < sentenceTokens.length; i += maxTokens) {
          units.push({ tokens: sentenceTokens.slice(i, i + maxTokens), heading: segment.heading, page: segment.page });
        }
      }
    }
  }
  return units;
}

export function chunkSegments(segments: TextSegment[], settings: ChunkSettings = defaultChunkSettings): Chunk[] {
  const overlapTokens = Math.floor(settings.targetTokens * settings.overlapRatio);
  // New text per chunk: the rest of the budget after the overlap carried over.
  const units = unitsOf(segments, settings.targetTokens - overlapTokens, settings.maxDocumentTokens);
  const chunks: Chunk[] = [];
  let carried: Unit[] = [];
  let next = 0;
  while (next < units.length) {
    const body: Unit[] = [];
    let size = carried.reduce((sum, u) => sum + u.tokens.length, 0);
    while (next < units.length && (body.length === 0 || size + units[next]!.tokens.length <= settings.targetTokens)) {
      size += units[next]!.tokens.length;
      body.push(units[next]!);
      next++;
    }
    const all = [...carried, ...body];
    const tokens = all.flatMap((u) => u.tokens);
    const pages = all.map((u) => u.page).filter((p): p is number => p !== null);
    const content = decode(tokens).trim();
    chunks.push({
      index: chunks.length,
      content,
      heading: body[0]!.heading,
      pageStart: pages.length > 0 ? Math.min(...pages) : null,
      pageEnd: pages.length > 0 ? Math.max(...pages) : null,
      tokenCount: tokens.length,
      contentHash: createHash("sha256")
        .update(`${body[0]!.heading ?? ""}\n${content}`)
        .digest("hex"),
    });
    carried = tailOf(body, overlapTokens);
  }
  return chunks;
}

/** The last `count` tokens of these units, starting at a word boundary, as units of their own. */
function tailOf(units: Unit[], count: number): Unit[] {
  if (count <= 0) return [];
  const tail: Unit[] = [];
  let remaining = count;
  for (let i = units.length - 1; i >= 0 && remaining > 0; i--) {
    const unit = units[i]!;
    if (unit.tokens.length <= remaining) {
      tail.unshift(unit);
      remaining -= unit.tokens.length;
      continue;
    }
    // Part of a unit: start at its next word boundary rather than mid-word.
    const text = decode(unit.tokens.slice(unit.tokens.length - remaining));
    const boundary = text.search(/\s/);
    const trimmed = boundary >= 0 ? text.slice(boundary + 1) : text;
    if (trimmed.trim()) tail.unshift({ ...unit, tokens: encodeBounded(trimmed) });
    break;
  }
  return tail;
}
