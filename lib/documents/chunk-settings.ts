// How documents are cut into passages, from configuration (KEEL_CHUNK_TOKENS), kept apart from the
// chunker so the app's own threads read the settings without loading the tokenizer.

export interface ChunkSettings {
  /** Tokens per chunk (512–1024). */
  targetTokens: number;
  /** Share of each chunk repeated from the previous one. */
  overlapRatio: number;
  /** A document with more tokens than this is refused (checked while counting, so it stops early). */
  maxDocumentTokens: number;
}

/** About 1,500 pages: enough for any one document, and its analysis stays a few hundred steps. */
const MAX_DOCUMENT_TOKENS = 2_000_000;

export const defaultChunkSettings: ChunkSettings = { targetTokens: 800, overlapRatio: 0.2, maxDocumentTokens: MAX_DOCUMENT_TOKENS };

export function chunkSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ChunkSettings {
  const raw = env.KEEL_CHUNK_TOKENS;
  if (!raw) return defaultChunkSettings;
  const tokens = Number(raw);
  if (!Number.isInteger(tokens) || tokens < 512 || tokens > 1024) throw new Error("KEEL_CHUNK_TOKENS must be a whole number from 512 to 1024");
  return { ...defaultChunkSettings, targetTokens: tokens };
}
