// Splits a document's text into chunks of at most `targetTokens` tokens counted by a real BPE
// tokenizer (o200k, as OpenAI's current models use), each beginning with the last ~20% of the
// chunk before it so that no passage is cut off from its context. Paragraphs are kept whole when
// they fit; longer ones are split at sentence ends, and only a sentence longer than a chunk is cut
// between tokens. Every chunk carries the heading above it and the pages it spans.
import { createHash } from "node:crypto";
import { decode, encode } from "gpt-tokenizer/encoding/o200k_base";
import type { TextSegment } from "./extract";

export interface ChunkSettings {
  /** Tokens per chunk (512–1024). */
  targetTokens: number;
  /** Share of each chunk repeated from the previous one. */
  overlapRatio: number;
}

export const defaultChunkSettings: ChunkSettings = { targetTokens: 800, overlapRatio: 0.2 };

export function chunkSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ChunkSettings {
  const raw = env.KEEL_CHUNK_TOKENS;
  if (!raw) return defaultChunkSettings;
  const tokens = Number(raw);
  if (!Number.isInteger(tokens) || tokens < 512 || tokens > 1024) throw new Error("KEEL_CHUNK_TOKENS must be a whole number from 512 to 1024");
  return { ...defaultChunkSettings, targetTokens: tokens };
}

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

/** Paragraphs, or pieces of a paragraph that alone exceeds a chunk. */
function unitsOf(segments: TextSegment[], maxTokens: number): Unit[] {
  const units: Unit[] = [];
  for (const segment of segments) {
    for (const paragraph of segment.text.split(/\n{2,}/)) {
      const text = paragraph.trim();
      if (!text) continue;
      const tokens = encode(`${text}\n\n`);
      if (tokens.length <= maxTokens) {
        units.push({ tokens, heading: segment.heading, page: segment.page });
        continue;
      }
      for (const sentence of text.match(/[^.!?。！？\n]+(?:[.!?。！？]+|\n|$)\s*/gu) ?? [text]) {
        const sentenceTokens = encode(sentence);
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
  const units = unitsOf(segments, settings.targetTokens - overlapTokens);
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
    if (trimmed.trim()) tail.unshift({ ...unit, tokens: encode(trimmed) });
    break;
  }
  return tail;
}
