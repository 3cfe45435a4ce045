// What the local executor needs from its storage. Every decision (which run a routed event starts,
// what an answer does to a run, when a lost lease fails a run) is made by the executor; the store
// keeps rows, locks them and counts. One implementation is Keel's database (keel-store.ts); any
// store that honours these contracts across processes can take its place.
import type { ClaimedRun, ExecutorEvent, RunStatus, SerializedError, StoredRun } from "./types";

interface StoredFunction {
  id: string;
  appId: string;
  /** The function's registration as the serve handler reported it. */
  config: Record<string, unknown>;
}

interface NewRun {
  functionId: string;
  eventId: string;
  event: ExecutorEvent;
  maxAttempts: number;
  priority: number;
  concurrencyKeys: string[];
  concurrencyLimits: number[];
  now: Date;
  /** A run that fails before its first request (its function cannot run here). */
  failed?: SerializedError;
}

/** The fields a request's answer, or a reaped lease, changes. */
export interface RunUpdate {
  status: RunStatus;
  steps?: StoredRun["steps"];
  stack?: string[];
  planned: string[];
  attempt: number;
  lostLeases: number;
  runAt: Date;
  requestVersion?: number | null;
  forceStepPlan?: boolean;
  output?: unknown;
  error: Record<string, unknown> | null;
  now: Date;
}

interface CronRow {
  functionId: string;
  schedule: string;
  nextAt: Date;
}

/** One transaction: what it reads under lock stays locked until it ends. */
export interface StoreTransaction {
  /** Stores events; an id already stored is ignored (Inngest deduplicates sends by id). */
  insertEvents(events: ExecutorEvent[]): Promise<void>;
  /** Up to `limit` of the oldest unrouted events, locked; other transactions skip them. */
  takeUnroutedEvents(limit: number): Promise<ExecutorEvent[]>;
  markRouted(eventIds: string[], now: Date): Promise<void>;

  /** Replaces the functions `appId` registered before with `functions`. */
  replaceFunctions(appId: string, functions: Array<{ id: string; config: Record<string, unknown> }>, now: Date): Promise<void>;
  /** Registered functions of every app (or those of `ids`). */
  loadFunctions(ids?: string[]): Promise<StoredFunction[]>;
  /** Keeps exactly `schedules` for the function; a schedule already stored keeps its next time. */
  syncCrons(functionId: string, schedules: Array<{ schedule: string; nextAt: Date }>): Promise<void>;
  /** Due cron rows of `functionIds`, locked; other transactions skip them. */
  takeDueCrons(functionIds: string[], now: Date): Promise<CronRow[]>;
  setCronNext(functionId: string, schedule: string, nextAt: Date): Promise<void>;

  /** Creates the run unless one exists for the function and event; returns its id if new. */
  createRun(run: NewRun): Promise<string | null>;
  /** Active runs of a function, with their events (to match cancellations against). */
  activeRuns(functionId: string): Promise<Array<Pick<StoredRun, "id" | "event">>>;
  /** Ends the runs of `ids` still active as cancelled; returns how many it ended. */
  cancelRuns(ids: string[], error: SerializedError, now: Date): Promise<number>;
  /**
   * Up to `limit` due, unleased, active runs of `functionIds`, leased until `now + leaseMs`, in
   * queue order (run time less priority seconds, then event time). A run whose concurrency key
   * already has its limit of leased runs is skipped; the count and the new lease must be one
   * decision across every process.
   */
  claimRuns(functionIds: string[], limit: number, now: Date, leaseMs: number): Promise<ClaimedRun[]>;
  /** Saves the update if `leaseToken` still holds the run and it is active, and lets go of the lease. */
  saveLeasedRun(runId: string, leaseToken: string, update: RunUpdate): Promise<boolean>;
  /** Lets go of the lease if `leaseToken` still holds it; false if another lease took the run. */
  dropLease(runId: string, leaseToken: string): Promise<boolean>;
  /**
   * Active runs of `functionIds`, locked, whose lease ran out before `now`, or that nobody holds
   * and were created before `overdueBefore`; leases in `ownLeases` are left out.
   */
  takeExpiredRuns(functionIds: string[], now: Date, overdueBefore: Date, ownLeases: string[], limit: number): Promise<StoredRun[]>;
  /** Writes the update to a run taken under lock (the lease is dropped). */
  updateRun(runId: string, update: RunUpdate): Promise<void>;
  /** Tells every executor there is new work (after this transaction commits). */
  notify(): Promise<void>;
}

export interface ExecutorStore {
  /** Runs `fn` in one transaction; `reason` names the work in logs and reviews. */
  transaction<T>(reason: string, fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  renewLease(runId: string, leaseToken: string, until: Date): Promise<void>;
  /** Gives runs back (an executor stopping mid-request): another executor takes them at once. */
  releaseLeases(leaseTokens: string[]): Promise<void>;
  /** When the earliest active run of `functionIds` falls due or its lease runs out (null: none). */
  nextDueAt(functionIds: string[]): Promise<Date | null>;
  nextCronAt(functionIds: string[]): Promise<Date | null>;
  /** Deletes finished runs and routed events older than `cutoff`. */
  deleteFinishedBefore(cutoff: Date): Promise<void>;
  /** Calls `onWork` when any executor's `notify` commits; resolves with the unsubscribe. */
  subscribe(listener: { onWork(): void; onListen(): void }): Promise<() => void>;
}
