// Deterministic hashed bag-of-features embeddings (AI SDK 6 EmbeddingModelV3); no model weights, no network.
import type { EmbeddingModelV3, EmbeddingModelV3CallOptions, EmbeddingModelV3Result } from "@ai-sdk/provider";
// `ai` re-exports the provider error classes; importing the runtime value from `ai` avoids a
// runtime dependency on the transitive `@ai-sdk/provider` package (the import above is type-only).
import { TooManyEmbeddingValuesForCallError } from "ai";
import { countTokens } from "../tokens";
import { abortError } from "./abort";
import { STOP_WORDS } from "./text";

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

/**
 * Input read per text, in characters: about 8,000 tokens, where real embedding models stop too
 * (OpenAI refuses longer inputs; others truncate). A bound on the work one input can cause.
 */
export const MAX_EMBEDDING_CHARS = 32 * 1024;
/** How long a batch runs before it lets other work on the thread go first. */
const YIELD_AFTER_MS = 10;
/** Letters of a word that give character trigrams: a 1 MB "word" gives no more than a long real one. */
const MAX_TRIGRAM_WORD = 64;

function addTrigrams(features: Map<string, number>, word: string, prefix: string): void {
  const chars = Array.from(`^${word.length > MAX_TRIGRAM_WORD ? word.slice(0, MAX_TRIGRAM_WORD) : word}$`);
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
export function embedTextOffline(input: string, dimensions = 384): number[] {
  validateDimensions(dimensions);
  const text = input.length > MAX_EMBEDDING_CHARS ? input.slice(0, MAX_EMBEDDING_CHARS) : input;
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
    // Runs on the app's own thread: a batch of long inputs yields between values, so requests
    // waiting on this process are served in between (a batch of 64 passages takes ~0.1–0.3 s).
    const embeddings: number[][] = [];
    let since = performance.now();
    for (const value of options.values) {
      embeddings.push(embedTextOffline(value, this.dimensions));
      if (performance.now() - since > YIELD_AFTER_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        if (options.abortSignal?.aborted) throw abortError(options.abortSignal);
        since = performance.now();
      }
    }
    return {
      embeddings,
      usage: { tokens: options.values.reduce((sum, value) => sum + countTokens(value), 0) },
      warnings: [],
    };
  }
}
