// Retrieval settings from the environment. A value that does not parse stops the caller with a
// message naming the variable. The defaults come from `npm run bench:retrieval` (README, "Retrieval").
import type { Env } from "@/lib/config/security-settings";

export const retrievalModes = ["vector", "hybrid"] as const;
export type RetrievalMode = (typeof retrievalModes)[number];

export interface RetrievalConfig {
  /** The mode when a caller names none. */
  defaultMode: RetrievalMode;
  /** A search whose scope holds at most this many chunks is exact (no index); larger ones use HNSW. */
  exactMaxChunks: number;
  /** HNSW candidate list size (`hnsw.ef_search`). */
  efSearch: number;
  /** How far an iterative HNSW scan may go before giving up (`hnsw.max_scan_tuples`). */
  maxScanTuples: number;
}

export const defaultRetrievalConfig: RetrievalConfig = {
  // Vector: the mode that meets the latency target at every tenant size (README, "Retrieval").
  defaultMode: "vector",
  exactMaxChunks: 10_000,
  efSearch: 100,
  maxScanTuples: 20_000,
};

function integerSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

export function retrievalConfigFromEnv(env: Env = process.env): RetrievalConfig {
  const mode = env.KEEL_RETRIEVAL_MODE?.trim();
  if (mode && !retrievalModes.includes(mode as RetrievalMode)) {
    throw new Error(`KEEL_RETRIEVAL_MODE must be one of ${retrievalModes.join(", ")} (got "${mode}")`);
  }
  return {
    defaultMode: (mode as RetrievalMode | undefined) || defaultRetrievalConfig.defaultMode,
    exactMaxChunks: integerSetting(env, "KEEL_RETRIEVAL_EXACT_MAX_CHUNKS", defaultRetrievalConfig.exactMaxChunks, 0, 10_000_000),
    efSearch: integerSetting(env, "KEEL_RETRIEVAL_EF_SEARCH", defaultRetrievalConfig.efSearch, 1, 1000),
    maxScanTuples: integerSetting(env, "KEEL_RETRIEVAL_MAX_SCAN_TUPLES", defaultRetrievalConfig.maxScanTuples, 1, 10_000_000),
  };
}
