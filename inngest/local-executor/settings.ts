// How an executor paces its work. The embedding application supplies them (Keel reads them from
// KEEL_LOCAL_EXECUTOR_* in core/job-runtime.ts); these defaults apply to whatever it leaves out.

export interface LocalExecutorSettings {
  /** Multiplies step.sleep durations and retry backoff (tests run them at a fraction). */
  sleepScale: number;
  /** How often to look for work when no notification arrives (ms). */
  pollMs: number;
  /** How long a claimed run stays leased without a heartbeat (ms). */
  leaseMs: number;
  /** Requests this process makes at once. */
  slots: number;
  /** How long one request (a step) may run before it counts as a failed attempt (ms). */
  stepTimeoutMs: number;
  /** How long a run may go on, sleeps and retries included, before it fails (ms). */
  runTimeoutMs: number;
}

export const defaultSettings: LocalExecutorSettings = {
  sleepScale: 1,
  pollMs: 1_000,
  leaseMs: 60_000,
  slots: 4,
  // Inngest's longest step (2 hours) and a week: generous, but nothing runs or retries forever.
  stepTimeoutMs: 2 * 3_600_000,
  runTimeoutMs: 7 * 86_400_000,
};
