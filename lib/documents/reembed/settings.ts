// Re-embedding settings, from the environment (README, "Configuration").
export interface ReembedSettings {
  /** Chunks embedded per online step (one gateway call). */
  chunksPerStep: number;
  /** Online steps per run; a run with more to do hands over to a fresh run of the same job. */
  maxOnlineSteps: number;
  /** Tenant-wide runs with at least this many stale chunks use the provider's batch API. */
  batchMinChunks: number;
  /** Requests per provider batch (OpenAI allows 50,000 and 200 MB per file). */
  batchMaxRequests: number;
  /** First wait before polling a provider batch; later waits double, up to 15 minutes. */
  batchPollSeconds: number;
}

export const defaultReembedSettings: ReembedSettings = {
  chunksPerStep: 64,
  maxOnlineSteps: 400,
  batchMinChunks: 2_000,
  batchMaxRequests: 10_000,
  batchPollSeconds: 60,
};

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

export function reembedSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ReembedSettings {
  return {
    chunksPerStep: whole(env, "KEEL_REEMBED_STEP_CHUNKS", defaultReembedSettings.chunksPerStep, 1, 2_048),
    maxOnlineSteps: whole(env, "KEEL_REEMBED_MAX_STEPS", defaultReembedSettings.maxOnlineSteps, 1, 900),
    batchMinChunks: whole(env, "KEEL_REEMBED_BATCH_MIN_CHUNKS", defaultReembedSettings.batchMinChunks, 1, 100_000_000),
    batchMaxRequests: whole(env, "KEEL_REEMBED_BATCH_MAX_REQUESTS", defaultReembedSettings.batchMaxRequests, 1, 50_000),
    batchPollSeconds: whole(env, "KEEL_REEMBED_BATCH_POLL_SECONDS", defaultReembedSettings.batchPollSeconds, 1, 900),
  };
}

/** The wait before poll `n` of a provider batch: doubling from the first, at most 15 minutes. */
export function batchPollDelaySeconds(settings: ReembedSettings, poll: number): number {
  return Math.min(900, settings.batchPollSeconds * 2 ** Math.min(poll, 20));
}

/** Polls enough for the 24-hour completion window plus margin (26 hours of waiting). */
export function maxBatchPolls(settings: ReembedSettings): number {
  let waited = 0;
  let polls = 0;
  while (waited < 26 * 3600) waited += batchPollDelaySeconds(settings, polls++);
  return polls;
}
