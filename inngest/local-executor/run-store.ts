// Runs in the database: created by routing, claimed under a lease by one executor at a time, and
// saved back only while that lease still holds. Claiming skips rows another executor has locked
// (FOR UPDATE SKIP LOCKED) and runs whose concurrency key is at its limit; a per-key advisory lock
// makes the count and the new lease one decision across every process. A lease that runs out
// means the process holding it died or stalled: that counts as a failed attempt (reapRuns), so a
// step that keeps killing its worker ends the run instead of being claimed again forever.
import { randomUUID } from "node:crypto";
import { and, eq, inArray, lt, notInArray, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { localExecutorEvents, localExecutorRuns, type LocalEvent, type LocalExecutorRun } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { insertEvents, notifyExecutors } from "./event-store";
import { FUNCTION_FAILED_EVENT, type FunctionPlan } from "./function-plan";
import { lostProcessError, runTimeoutError } from "./limits";
import type { SerializedError } from "./protocol";
import { activeState, retryOrFail, type RunState } from "./run-state";

export type ClaimedRun = LocalExecutorRun & { leaseToken: string };

/** Starts `plan` for `event`, once however often the event is routed. Returns the run id if new. */
export async function createRun(tx: Tx, plan: FunctionPlan, event: LocalEvent, now: Date, eventId = event.id): Promise<string | null> {
  const concurrency = plan.concurrency(event);
  const refused = plan.unsupported ? { name: "UnsupportedByLocalExecutor", message: plan.unsupported } : null;
  const [created] = await tx
    .insert(localExecutorRuns)
    .values({
      functionId: plan.id,
      eventId,
      event,
      maxAttempts: plan.maxAttempts,
      priority: plan.priority(event),
      concurrencyKeys: concurrency.map((c) => c.key),
      concurrencyLimits: concurrency.map((c) => c.limit),
      runAt: now,
      // The executor's clock, which the run's wall-clock limit is measured against.
      createdAt: now,
      ...(refused ? { status: "failed" as const, error: refused, finishedAt: now } : {}),
    })
    .onConflictDoNothing()
    .returning({ id: localExecutorRuns.id });
  if (created && refused) await emitFailure(tx, plan, created.id, event, refused, now);
  return created?.id ?? null;
}

/** `inngest/function.failed`, which starts the function's `onFailure` handler. */
async function emitFailure(tx: Tx, plan: FunctionPlan, runId: string, event: LocalEvent, error: SerializedError, now: Date): Promise<void> {
  if (plan.isFailureHandler) return;
  await insertEvents(tx, [{ id: randomUUID(), name: FUNCTION_FAILED_EVENT, data: { function_id: plan.id, run_id: runId, error, event }, ts: now.getTime() }]);
}

/**
 * Up to `limit` due runs of `functionIds`, leased until `now + leaseMs`. Priority orders the queue
 * as if a run had been enqueued that many seconds earlier; runs routed together keep the order their
 * events were sent in (first in, first out).
 */
export function claimRuns(functionIds: string[], limit: number, now: Date, leaseMs: number): Promise<ClaimedRun[]> {
  if (functionIds.length === 0 || limit <= 0) return Promise.resolve([]);
  const at = now.toISOString();
  return withSystem("local executor: claim due runs", async (tx) => {
    const saturated = (key: string) =>
      sql`(select count(*) from local_executor_runs o where o.concurrency_keys @> array[${key}]::text[] and o.leased_until >= ${at}::timestamptz)`;
    const candidates = await rawRows<{ id: string; concurrency_keys: string[]; concurrency_limits: number[] }>(
      tx,
      sql`select r.id, r.concurrency_keys, r.concurrency_limits from local_executor_runs r
          where r.status = 'active' and r.function_id in (${sql.join(
            functionIds.map((id) => sql`${id}`),
            sql`, `,
          )})
            and r.run_at <= ${at}::timestamptz and r.leased_until is null
            and not exists (select 1 from unnest(r.concurrency_keys, r.concurrency_limits) as c(key, lim)
                            where (select count(*) from local_executor_runs o where o.concurrency_keys @> array[c.key] and o.leased_until >= ${at}::timestamptz) >= c.lim)
          order by r.run_at - make_interval(secs => r.priority), case when jsonb_typeof(r.event->'ts') = 'number' then (r.event->>'ts')::numeric end nulls last, r.created_at
          limit ${limit * 4}
          for update of r skip locked`,
    );
    const claimed: ClaimedRun[] = [];
    for (const candidate of candidates) {
      if (claimed.length >= limit) break;
      let free = true;
      for (const [index, key] of candidate.concurrency_keys.entries()) {
        // Another executor deciding on this key right now: leave the run to it, or to the next pass.
        const [lock] = await rawRows<{ locked: boolean }>(tx, sql`select pg_try_advisory_xact_lock(hashtextextended(${key}, 7204113002)) as locked`);
        const [count] = lock?.locked ? await rawRows<{ count: string | number }>(tx, sql`select ${saturated(key)} as count`) : [];
        if (!count || Number(count.count) >= candidate.concurrency_limits[index]!) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      const [run] = await tx
        .update(localExecutorRuns)
        .set({ leaseToken: randomUUID(), leasedUntil: new Date(now.getTime() + leaseMs), updatedAt: now })
        .where(eq(localExecutorRuns.id, candidate.id))
        .returning();
      if (run) claimed.push(run as ClaimedRun);
    }
    return claimed;
  });
}

export async function renewLease(runId: string, leaseToken: string, until: Date): Promise<void> {
  await withSystem("local executor: renew a lease", (tx) =>
    tx
      .update(localExecutorRuns)
      .set({ leasedUntil: until })
      .where(and(eq(localExecutorRuns.id, runId), eq(localExecutorRuns.leaseToken, leaseToken))),
  );
}

/** Gives runs back (an executor stopping mid-request): another executor takes them at once. */
export async function releaseLeases(leaseTokens: string[]): Promise<void> {
  if (leaseTokens.length === 0) return;
  await withSystem("local executor: release leases", async (tx) => {
    await tx.update(localExecutorRuns).set({ leaseToken: null, leasedUntil: null }).where(inArray(localExecutorRuns.leaseToken, leaseTokens));
    await notifyExecutors(tx);
  });
}

export type SaveResult = "saved" | "lease-lost" | "cancelled";

/** Stores the run's next state if this executor still holds its lease and the run is still active. */
export function saveRun(run: ClaimedRun, plan: FunctionPlan, next: RunState, requestVersion: number | null, now: Date): Promise<SaveResult> {
  return withSystem("local executor: save a run's progress", async (tx) => {
    const finished = next.status !== "active";
    const [saved] = await tx
      .update(localExecutorRuns)
      .set({
        status: next.status,
        steps: next.steps,
        stack: next.stack,
        planned: next.planned,
        attempt: next.attempt,
        lostLeases: next.lostLeases,
        runAt: next.runAt,
        requestVersion,
        output: next.status === "completed" ? (next.output ?? null) : null,
        error: next.error ?? null,
        leaseToken: null,
        leasedUntil: null,
        updatedAt: now,
        finishedAt: finished ? now : null,
      })
      .where(and(eq(localExecutorRuns.id, run.id), eq(localExecutorRuns.leaseToken, run.leaseToken), eq(localExecutorRuns.status, "active")))
      .returning({ id: localExecutorRuns.id });
    if (!saved) {
      // Cancelled while the step ran: its result is dropped and the lease let go.
      const [cancelled] = await tx
        .update(localExecutorRuns)
        .set({ leaseToken: null, leasedUntil: null })
        .where(and(eq(localExecutorRuns.id, run.id), eq(localExecutorRuns.leaseToken, run.leaseToken)))
        .returning({ status: localExecutorRuns.status });
      return cancelled ? "cancelled" : "lease-lost";
    }
    if (next.status === "failed" && next.error) await emitFailure(tx, plan, run.id, run.event, next.error, now);
    await notifyExecutors(tx);
    return "saved";
  });
}

/** Cancels the active runs of `plan` that `cancelEvent` matches; a step in flight finishes, nothing after it runs. */
export async function cancelRuns(
  tx: Tx,
  plan: FunctionPlan,
  cancellation: FunctionPlan["cancellations"][number],
  cancelEvent: LocalEvent,
  now: Date,
): Promise<number> {
  const active = await tx
    .select({ id: localExecutorRuns.id, event: localExecutorRuns.event })
    .from(localExecutorRuns)
    .where(and(eq(localExecutorRuns.functionId, plan.id), eq(localExecutorRuns.status, "active")));
  const ids = active.filter((run) => cancellation.matches(run.event, cancelEvent)).map((run) => run.id);
  if (ids.length === 0) return 0;
  const cancelled = await tx
    .update(localExecutorRuns)
    .set({
      status: "cancelled",
      planned: [],
      updatedAt: now,
      finishedAt: now,
      error: { name: "Cancelled", message: `Cancelled by the event ${cancelEvent.name} (${cancelEvent.id})` },
    })
    .where(and(inArray(localExecutorRuns.id, ids), eq(localExecutorRuns.status, "active")))
    .returning({ id: localExecutorRuns.id });
  return cancelled.length;
}

/** When the earliest run of `functionIds` falls due, or its lease runs out (null when none waits). */
export async function nextDueAt(functionIds: string[]): Promise<Date | null> {
  if (functionIds.length === 0) return null;
  const [row] = await withSystem("local executor: next due run", (tx) =>
    rawRows<{ at: string | Date | null }>(
      tx,
      sql`select min(coalesce(leased_until, run_at)) as at from local_executor_runs
          where status = 'active' and function_id in (${sql.join(
            functionIds.map((id) => sql`${id}`),
            sql`, `,
          )})`,
    ),
  );
  return row?.at ? new Date(row.at) : null;
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
export function reapRuns(plans: Map<string, FunctionPlan>, now: Date, settings: ReapSettings, ownLeases: string[] = []): Promise<ReapedRun[]> {
  if (plans.size === 0) return Promise.resolve([]);
  const at = now.toISOString();
  const overdue = new Date(now.getTime() - settings.runTimeoutMs).toISOString();
  return withSystem("local executor: reap lost and overdue runs", async (tx) => {
    const rows = await tx
      .select()
      .from(localExecutorRuns)
      .where(
        and(
          eq(localExecutorRuns.status, "active"),
          inArray(localExecutorRuns.functionId, [...plans.keys()]),
          ownLeases.length ? sql`(${localExecutorRuns.leaseToken} is null or ${notInArray(localExecutorRuns.leaseToken, ownLeases)})` : undefined,
          sql`(${localExecutorRuns.leasedUntil} < ${at}::timestamptz
               or (${localExecutorRuns.leasedUntil} is null and ${localExecutorRuns.createdAt} < ${overdue}::timestamptz))`,
        ),
      )
      .limit(100)
      .for("update", { skipLocked: true });
    const reaped: ReapedRun[] = [];
    for (const run of rows) {
      const plan = plans.get(run.functionId)!;
      const state = activeState(run, now);
      let next: RunState;
      if (run.createdAt.getTime() < now.getTime() - settings.runTimeoutMs) {
        next = { ...state, status: "failed", planned: [], error: runTimeoutError(settings.runTimeoutMs) };
      } else {
        const lost = run.lostLeases + 1;
        next = { ...retryOrFail(state, lostProcessError(lost, settings.leaseMs), null, { now, maxAttempts: run.maxAttempts, ...settings }), lostLeases: lost };
      }
      await tx
        .update(localExecutorRuns)
        .set({
          status: next.status,
          planned: next.planned,
          attempt: next.attempt,
          lostLeases: next.lostLeases,
          runAt: next.runAt,
          error: next.error ?? null,
          leaseToken: null,
          leasedUntil: null,
          updatedAt: now,
          finishedAt: next.status === "failed" ? now : null,
        })
        .where(eq(localExecutorRuns.id, run.id));
      const error = next.error ?? lostProcessError(next.lostLeases, settings.leaseMs);
      if (next.status === "failed") await emitFailure(tx, plan, run.id, run.event, error, now);
      reaped.push({ id: run.id, functionId: run.functionId, outcome: next.status === "failed" ? "failed" : "retry", error });
    }
    if (reaped.length > 0) await notifyExecutors(tx);
    return reaped;
  });
}

/** Finished runs and routed events are kept a week, for looking into what happened. */
export async function deleteOldWork(now: Date): Promise<void> {
  const cutoff = new Date(now.getTime() - 7 * 86_400_000);
  await withSystem("local executor: delete week-old runs and events", async (tx) => {
    await tx.delete(localExecutorRuns).where(and(lt(localExecutorRuns.finishedAt, cutoff)));
    await tx.delete(localExecutorEvents).where(lt(localExecutorEvents.routedAt, cutoff));
  });
}
