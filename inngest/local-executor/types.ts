// The values the local executor reads and writes: events as Inngest's event API receives them,
// memoised step results, runs as its storage keeps them, and the logger it is given.

/** An event as Inngest's event API receives it (ids and timestamps filled in on intake). */
export interface ExecutorEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  ts: number;
  user?: Record<string, unknown>;
  v?: string;
}

/**
 * A memoised step result as Inngest stores it and sends it back in `steps`: what a step returned
 * (`{ data }`), the error it failed with for good (`{ error }`), or null for a sleep that ended.
 */
export type MemoisedStep = { data: unknown } | { error: Record<string, unknown> } | null;

export type SerializedError = Record<string, unknown> & { name: string; message: string };

export type RunStatus = "active" | "completed" | "failed" | "cancelled";

/** A run as stored: its event, memoised steps, queue position, lease and outcome. */
export interface StoredRun {
  id: string;
  functionId: string;
  eventId: string;
  event: ExecutorEvent;
  status: RunStatus;
  /** Hashed step id → result: what every request sends back as `steps`. */
  steps: Record<string, MemoisedStep>;
  /** Hashed step ids in the order they completed (`ctx.stack`). */
  stack: string[];
  /**
   * The steps the SDK planned in its last answer (parallel steps): each one not yet memoised gets a
   * request of its own, in order; once all are, the next request discovers what comes after them.
   */
  planned: string[];
  /** Set once an answer held more than one op: the SDK is told to plan every step from then on. */
  forceStepPlan: boolean;
  /** Attempt of the next request; back to 0 after each step that completes. */
  attempt: number;
  /** How many of the current step's attempts ended with the lease running out. */
  lostLeases: number;
  maxAttempts: number;
  requestVersion: number | null;
  /** Seconds of head start in the queue (`priority.run`), from -600 to 600. */
  priority: number;
  concurrencyKeys: string[];
  concurrencyLimits: number[];
  /** When the next request may be made (now, after a sleep, after a retry's backoff). */
  runAt: Date;
  leaseToken: string | null;
  leasedUntil: Date | null;
  output: unknown;
  error: Record<string, unknown> | null;
  /** On the executor's clock: the run's wall-clock limit is measured from here. */
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** A run this executor holds the lease of. */
export type ClaimedRun = StoredRun & { leaseToken: string };

/** Structured logging, pino-style: fields first, then the message. */
export interface ExecutorLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** Runs `fn` with `fields` attached to every log line written inside it (optional). */
  withContext?<T>(fields: Record<string, unknown>, fn: () => T): T;
}
