// Runs in the queue: created by routing (once per function and event), claimed under a lease by one
// executor at a time, and saved back only while that lease still holds. A lease that runs out means
// the process holding it died or stalled: that counts as a failed attempt (reapRuns), so a step that
// keeps killing its worker ends the run instead of being claimed again forever. A final failure
// emits `inngest/function.failed`, which starts the function's onFailure handler.
import { FUNCTION_FAILED_EVENT, type FunctionPlan } from "./function-plan";
import { lostProcessError, runTimeoutError } from "./limits";
import { activeState, retryOrFail, type RunState } from "./run-state";
import type { ExecutorStore, RunUpdate, StoreTransaction } from "./store";
import type { ClaimedRun, ExecutorEvent, SerializedError } from "./types";

/** Starts `plan` for `event`, once however often the event is routed. Returns the run id if new. */
export async function createRun(tx: StoreTransaction, plan: FunctionPlan, event: ExecutorEvent, now: Date): Promise<string | null> {
  const concurrency = plan.concurrency(event);
  const refused = plan.unsupported ? { name: "UnsupportedByLocalExecutor", message: plan.unsupported } : undefined;
  const runId = await tx.createRun({
    functionId: plan.id,
    eventId: event.id,
    event,
    maxAttempts: plan.maxAttempts,
    priority: plan.priority(event),
    concurrencyKeys: concurrency.map((c) => c.key),
    concurrencyLimits: concurrency.map((c) => c.limit),
    now,
    failed: refused,
  });
  if (runId && refused) await emitFailure(tx, plan, runId, event, refused, now);
  return runId;
}

/**
 * `inngest/function.failed`, which starts the function's `onFailure` handler, as Inngest's
 * finalize.go writes it: the run id is the event id (a run fails once), with the run's events.
 */
export function failureEvent(functionId: string, runId: string, event: ExecutorEvent, error: SerializedError, now: Date): ExecutorEvent {
  return { id: runId, name: FUNCTION_FAILED_EVENT, data: { function_id: functionId, run_id: runId, error, event, events: [event] }, ts: now.getTime() };
}

async function emitFailure(tx: StoreTransaction, plan: FunctionPlan, runId: string, event: ExecutorEvent, error: SerializedError, now: Date): Promise<void> {
  if (plan.isFailureHandler) return;
  await tx.insertEvents([failureEvent(plan.id, runId, event, error, now)]);
}

function update(state: RunState, now: Date, extra: Partial<RunUpdate> = {}): RunUpdate {
  return {
    status: state.status,
    planned: state.planned,
    attempt: state.attempt,
    lostLeases: state.lostLeases,
    runAt: state.runAt,
    output: state.output,
    error: state.error ?? null,
    now,
    ...extra,
  };
}

export type SaveResult = "saved" | "lease-lost" | "cancelled";

/** Stores the run's next state if this executor still holds its lease and the run is still active. */
export function saveRun(
  store: ExecutorStore,
  run: ClaimedRun,
  plan: FunctionPlan,
  next: RunState,
  requestVersion: number | null,
  now: Date,
): Promise<SaveResult> {
  return store.transaction("save a run's progress", async (tx) => {
    const values = update(next, now, { steps: next.steps, stack: next.stack, forceStepPlan: next.forceStepPlan, requestVersion });
    if (!(await tx.saveLeasedRun(run.id, run.leaseToken, values))) {
      // Cancelled while the step ran (its result is dropped, the lease let go), or the lease was lost.
      return (await tx.dropLease(run.id, run.leaseToken)) ? "cancelled" : "lease-lost";
    }
    if (next.status === "failed" && next.error) await emitFailure(tx, plan, run.id, run.event, next.error, now);
    await tx.notify();
    return "saved";
  });
}

/** Cancels the active runs of `plan` that `cancelEvent` matches; a step in flight finishes, nothing after it runs. */
export async function cancelMatchingRuns(
  tx: StoreTransaction,
  plan: FunctionPlan,
  cancellation: FunctionPlan["cancellations"][number],
  cancelEvent: ExecutorEvent,
  now: Date,
): Promise<number> {
  const matching = (await tx.activeRuns(plan.id)).filter((run) => cancellation.matches(run.event, cancelEvent)).map((run) => run.id);
  if (matching.length === 0) return 0;
  return tx.cancelRuns(matching, { name: "Cancelled", message: `Cancelled by the event ${cancelEvent.name} (${cancelEvent.id})` }, now);
}

export interface ReapSettings {
  leaseMs: number;
  runTimeoutMs: number;
  sleepScale: number;
  random: () => number;
}

export interface ReapedRun {
  id: string;
  functionId: string;
  outcome: "retry" | "failed";
  error: SerializedError;
}

/**
 * Runs of `plans` whose lease ran out, and runs past their wall-clock limit that nobody holds.
 * A lost lease is a failed attempt of the step it was running: the run backs off and is retried,
 * or fails (and its onFailure runs) once the function's attempts are spent. A run past its limit
 * fails. Each row is locked while decided, so two executors never count one loss twice. The
 * caller's own requests in flight (`ownLeases`) are alive by definition: their deadlines govern them.
 */
export function reapRuns(
  store: ExecutorStore,
  plans: Map<string, FunctionPlan>,
  now: Date,
  settings: ReapSettings,
  ownLeases: string[] = [],
): Promise<ReapedRun[]> {
  if (plans.size === 0) return Promise.resolve([]);
  const overdueBefore = new Date(now.getTime() - settings.runTimeoutMs);
  return store.transaction("reap lost and overdue runs", async (tx) => {
    const reaped: ReapedRun[] = [];
    for (const run of await tx.takeExpiredRuns([...plans.keys()], now, overdueBefore, ownLeases, 100)) {
      const plan = plans.get(run.functionId)!;
      const state = activeState(run, now);
      let next: RunState;
      if (run.createdAt < overdueBefore) {
        next = { ...state, status: "failed", planned: [], error: runTimeoutError(settings.runTimeoutMs) };
      } else {
        const lost = run.lostLeases + 1;
        next = { ...retryOrFail(state, lostProcessError(lost, settings.leaseMs), null, { now, maxAttempts: run.maxAttempts, ...settings }), lostLeases: lost };
      }
      await tx.updateRun(run.id, update(next, now));
      const error = next.error ?? lostProcessError(next.lostLeases, settings.leaseMs);
      if (next.status === "failed") await emitFailure(tx, plan, run.id, run.event, error, now);
      reaped.push({ id: run.id, functionId: run.functionId, outcome: next.status === "failed" ? "failed" : "retry", error });
    }
    if (reaped.length > 0) await tx.notify();
    return reaped;
  });
}
