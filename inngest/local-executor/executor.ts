// The executor loop: runs an app's Inngest functions without an Inngest server, by speaking
// Inngest's executor protocol to the app's own serve() handler, in-process. One per app process;
// they share the work through the store (see the modules beside this one):
//   registry     PUT (in-band sync) → the functions, stored for every executor to route to
//   router       stored events → new runs, and cancellations
//   cron-firing  due schedules → one run per tick across all executors
//   run-queue    due runs → claimed under a lease → saved back only while the lease holds; a lease
//                that ran out (a dead or stalled process) counts as a failed attempt
//   protocol + run-state   one request to the handler, and what its answer does to the run
//   limits       Inngest's step, output and state limits; each step's and each run's time limit
// It wakes when the store says there is new work, and polls as the fallback.
import { randomUUID } from "node:crypto";
import { fireDueCrons } from "./cron-firing";
import type { FunctionPlan } from "./function-plan";
import { inngestLimits, runTimeoutError, stepLimitError, stepTimeoutError, type RunLimits } from "./limits";
import { execute, type Answer, type Outcome } from "./protocol";
import { readRegistration, saveRegistration, type ServeHandler } from "./registry";
import { routeEvents } from "./router";
import { reapRuns, saveRun } from "./run-queue";
import { activeState, advance, nextStepId, stackCurrent } from "./run-state";
import { defaultSettings, type LocalExecutorSettings } from "./settings";
import type { ExecutorStore } from "./store";
import type { ClaimedRun, ExecutorLogger } from "./types";

export interface LocalExecutorOptions {
  /** The serve() handler to call, in-process. */
  handler: ServeHandler;
  /** Where events, functions, runs and crons are kept (shared by every executor of a deployment). */
  store: ExecutorStore;
  logger: ExecutorLogger;
  settings?: Partial<LocalExecutorSettings>;
  /** Inngest's limits by default; tests lower them. */
  limits?: Partial<RunLimits>;
  /** The clock (tests inject one to drive crons). */
  now?: () => Date;
  random?: () => number;
}

export interface LocalExecutor {
  readonly id: string;
  /** Registers the handler's functions and starts taking work. */
  start(): Promise<void>;
  /** Takes no more work; lets requests in flight finish within `graceMs`, then gives their runs back. */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Looks for work now instead of at the next poll. */
  wake(): void;
  /** This executor's app's functions, once started. */
  functions(): FunctionPlan[];
}

interface InFlight {
  run: ClaimedRun;
  abandoned: boolean;
  done: Promise<void>;
}

const HOUR = 3_600_000;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Longest delay a Node timer takes (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a request that outlived its deadline counts as: a failed attempt, or the run's end. */
function deadlineOf(run: ClaimedRun, startedAt: Date, settings: LocalExecutorSettings): { inMs: number; outcome: Outcome } {
  const runEnds = run.createdAt.getTime() + settings.runTimeoutMs - startedAt.getTime();
  if (runEnds <= settings.stepTimeoutMs) return { inMs: runEnds, outcome: { kind: "failed", error: runTimeoutError(settings.runTimeoutMs) } };
  return { inMs: settings.stepTimeoutMs, outcome: { kind: "retry", error: stepTimeoutError(settings.stepTimeoutMs), retryAfterMs: null } };
}

export function createLocalExecutor(options: LocalExecutorOptions): LocalExecutor {
  const { store, logger: log } = options;
  const settings: LocalExecutorSettings = { ...defaultSettings, ...options.settings };
  const limits: RunLimits = { ...inngestLimits, ...options.limits };
  const clock = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const id = randomUUID();
  const inFlight = new Map<string, InFlight>();
  let plans = new Map<string, FunctionPlan>();
  let signal = deferred();
  let stopping = false;
  let loop: Promise<void> | null = null;
  let unsubscribe: (() => void) | null = null;

  const wake = () => signal.resolve();

  /**
   * The run's next request to the handler, unless the run has taken all the steps Inngest allows.
   * A request that outlives its deadline (the step's time limit, or the run's) is left behind: its
   * slot is freed and its late answer dropped, since a promise cannot be stopped from outside.
   */
  async function request(entry: InFlight, plan: FunctionPlan): Promise<Answer> {
    const { run } = entry;
    if (Object.keys(run.steps).length >= limits.steps) return { outcome: { kind: "failed", error: stepLimitError(limits.steps) }, announcedVersion: null };
    const deadline = deadlineOf(run, clock(), settings);
    const call = () =>
      execute(
        options.handler,
        {
          functionId: run.functionId,
          stepUrl: plan.stepUrl,
          stepId: nextStepId(run),
          runId: run.id,
          event: run.event,
          steps: run.steps,
          stack: run.stack,
          stackCurrent: stackCurrent(run),
          attempt: run.attempt,
          maxAttempts: run.maxAttempts,
          requestVersion: run.requestVersion,
          forceStepPlan: run.forceStepPlan,
        },
        limits,
      );
    const answer = log.withContext ? log.withContext({ job: `${run.functionId}/${run.id}` }, call) : call();
    let timer: NodeJS.Timeout | undefined;
    const overran = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Math.max(0, Math.min(deadline.inMs, MAX_TIMER_MS)))));
    const first = await Promise.race([answer, overran]).finally(() => clearTimeout(timer));
    if (first) return first;
    const fields = { functionId: run.functionId, runId: run.id, reason: "error" in deadline.outcome ? deadline.outcome.error.message : "" };
    log.error(fields, "local executor: a step outlived its deadline; its slot is freed and its answer will be dropped");
    void answer.then(() => log.warn(fields, "local executor: a step that outlived its deadline finished; its answer was dropped"));
    return { outcome: deadline.outcome, announcedVersion: null };
  }

  async function runOnce(entry: InFlight): Promise<void> {
    const { run } = entry;
    const plan = plans.get(run.functionId)!;
    const heartbeat = setInterval(() => {
      store
        .renewLease(run.id, run.leaseToken, new Date(clock().getTime() + settings.leaseMs))
        .catch((error: unknown) => log.warn({ err: error, runId: run.id }, "local executor: could not renew a lease"));
    }, settings.leaseMs / 3);
    try {
      const { outcome, announcedVersion } = await request(entry, plan);
      if (entry.abandoned) return;
      const now = clock();
      const next = advance(activeState(run, now), outcome, {
        now,
        maxAttempts: run.maxAttempts,
        sleepScale: settings.sleepScale,
        random,
        limits,
        event: run.event,
      });
      // As Inngest: the version the SDK announces in its first answer with ops is kept for the run.
      const requestVersion = run.requestVersion ?? (outcome.kind === "ops" ? announcedVersion : null);
      const saved = await saveRun(store, run, plan, next, requestVersion, now);
      const fields = { functionId: run.functionId, runId: run.id, attempt: next.attempt };
      const nearLimit = Math.floor(limits.steps * 0.8);
      if (Object.keys(run.steps).length < nearLimit && Object.keys(next.steps).length >= nearLimit)
        log.warn({ ...fields, steps: Object.keys(next.steps).length }, `local executor: a run is near Inngest's limit of ${limits.steps} steps`);
      if (saved === "cancelled") log.info(fields, "local executor: run cancelled; it stopped before its next step");
      else if (saved === "lease-lost") log.warn(fields, "local executor: lost the run's lease; its result was dropped");
      else if (next.status === "failed") log.error({ ...fields, failure: next.error }, `local executor: run failed: ${next.error?.message}`);
      else if (next.status === "completed") log.info(fields, "local executor: run completed");
      else if (outcome.kind === "retry" || next.attempt > run.attempt) log.warn({ ...fields, retryAt: next.runAt }, "local executor: will retry");
    } finally {
      clearInterval(heartbeat);
    }
  }

  function begin(run: ClaimedRun): void {
    const entry: InFlight = { run, abandoned: false, done: Promise.resolve() };
    entry.done = runOnce(entry)
      .catch((error: unknown) => log.error({ err: error, runId: run.id }, "local executor: a request failed; the run is retried when its lease expires"))
      .finally(() => {
        inFlight.delete(run.leaseToken);
        wake();
      });
    inFlight.set(run.leaseToken, entry);
  }

  /** Waits for a wake-up, the next due run or cron, or the poll interval, whichever comes first. */
  async function idle(): Promise<void> {
    let wait = settings.pollMs;
    if (inFlight.size < settings.slots) {
      const now = clock();
      const ids = [...plans.keys()];
      const dues = (await Promise.all([store.nextDueAt(ids), store.nextCronAt(ids)])).filter((d): d is Date => d !== null && d > now);
      for (const due of dues) wait = Math.min(wait, due.getTime() - now.getTime());
    }
    await Promise.race([signal.promise, delay(wait)]);
  }

  async function work(): Promise<void> {
    let lastCleanup = 0;
    while (!stopping) {
      signal = deferred();
      let more = false;
      try {
        const now = clock();
        const routed = await routeEvents(store, log, now);
        await fireDueCrons(store, plans, now);
        for (const lost of await reapRuns(store, plans, now, { ...settings, random }, [...inFlight.keys()])) {
          const fields = { functionId: lost.functionId, runId: lost.id, failure: lost.error };
          if (lost.outcome === "failed") log.error(fields, `local executor: run failed: ${lost.error.message}`);
          else log.warn(fields, "local executor: a step's lease ran out (its process died or stalled); counted as a failed attempt, will retry");
        }
        const free = settings.slots - inFlight.size;
        const claimed = stopping ? [] : await store.transaction("claim due runs", (tx) => tx.claimRuns([...plans.keys()], free, now, settings.leaseMs));
        for (const run of claimed) begin(run);
        more = routed > 0 || (free > 0 && claimed.length === free);
        if (now.getTime() - lastCleanup > HOUR) {
          lastCleanup = now.getTime();
          // Finished runs and routed events are kept a week, for looking into what happened.
          await store.deleteFinishedBefore(new Date(now.getTime() - 7 * 24 * HOUR));
        }
        if (!more) await idle();
      } catch (error) {
        log.error({ err: error }, "local executor: a pass failed; trying again shortly");
        await Promise.race([signal.promise, delay(settings.pollMs)]);
      }
    }
  }

  return {
    id,
    functions: () => [...plans.values()],
    wake,
    async start() {
      if (loop) return;
      const registration = await readRegistration(options.handler);
      const registered = await saveRegistration(store, registration, clock());
      plans = new Map(registered.map((plan) => [plan.id, plan]));
      for (const plan of registered) {
        if (plan.unsupported) log.error({ functionId: plan.id }, `local executor: every run of ${plan.id} will fail: ${plan.unsupported}`);
      }
      void store.subscribe({ onWork: wake, onListen: wake }).then((stopListening) => {
        if (stopping) stopListening();
        else unsubscribe = stopListening;
      });
      loop = work();
      log.info(
        { executor: id, app: registration.appId, functions: registered.map((p) => p.id) },
        "local executor: started (runs jobs in-process with its queue in the database; production uses an Inngest server)",
      );
    },
    async stop({ graceMs = 30_000 } = {}) {
      if (stopping) return;
      stopping = true;
      unsubscribe?.();
      wake();
      await loop;
      const finished = Promise.allSettled([...inFlight.values()].map((entry) => entry.done)).then(() => true);
      if (!(await Promise.race([finished, delay(graceMs).then(() => false)]))) {
        const left = [...inFlight.values()];
        for (const entry of left) entry.abandoned = true;
        await store.releaseLeases(left.map((entry) => entry.run.leaseToken));
        log.warn({ runs: left.map((entry) => entry.run.id) }, "local executor: stopped mid-step; the runs were given back to be picked up again");
      }
      log.info({ executor: id }, "local executor: stopped");
    },
  };
}
