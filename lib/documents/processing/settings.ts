// How documents are processed off the request path, from configuration: threads per process, each
// thread's heap, and each stage's time limit.

export interface ProcessingSettings {
  /** Worker threads per app process. */
  threads: number;
  /** Each thread's JavaScript heap limit, in MB. */
  heapMb: number;
  /** Wall-clock limit of one stage (extraction, chunking) of one document, in ms. */
  stageTimeoutMs: number;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

export function processingSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ProcessingSettings {
  return {
    threads: integer(env, "KEEL_DOCUMENT_THREADS", 1, 1, 16),
    heapMb: integer(env, "KEEL_DOCUMENT_HEAP_MB", 1024, 32, 16_384),
    stageTimeoutMs: integer(env, "KEEL_DOCUMENT_STAGE_TIMEOUT_SECONDS", 120, 1, 3_600) * 1000,
  };
}
