// The local executor's storage in Keel's database (db/schema/local-executor.ts): system tables,
// reached only through withSystem, invisible to the app role. Claiming skips rows another executor
// has locked (FOR UPDATE SKIP LOCKED) and runs whose concurrency key is at its limit; a per-key
// advisory lock makes the count and the new lease one decision across every process. Executors
// LISTEN on one channel; a NOTIFY says there is new work. The only file of the module's core
// contracts that touches the database (store.ts says what each method promises).
import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray, isNull, lt, lte, min, notInArray, sql } from "drizzle-orm";
import { subscribeToChannel } from "@/db/channels";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { localExecutorCrons, localExecutorEvents, localExecutorFunctions, localExecutorRuns, type LocalExecutorRun } from "@/db/schema";
import { withSystem } from "@/db/scope";
import type { ExecutorStore, RunUpdate, StoreTransaction } from "./store";
import type { ClaimedRun, StoredRun } from "./types";

/** Executors LISTEN here; a NOTIFY says there is new work (an event, a run that became due). */
const LOCAL_EXECUTOR_CHANNEL = "keel_local_executor";

/** The table's row is the executor's run: this assignment fails to compile if they drift apart. */
const asStoredRun = (row: LocalExecutorRun): StoredRun => row;

const ids = (values: string[]) =>
  sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  );

function updateValues(update: RunUpdate) {
  return {
    status: update.status,
    ...(update.steps ? { steps: update.steps } : {}),
    ...(update.stack ? { stack: update.stack } : {}),
    planned: update.planned,
    attempt: update.attempt,
    lostLeases: update.lostLeases,
    runAt: update.runAt,
    ...(update.requestVersion !== undefined ? { requestVersion: update.requestVersion } : {}),
    ...(update.forceStepPlan !== undefined ? { forceStepPlan: update.forceStepPlan } : {}),
    output: update.status === "completed" ? (update.output ?? null) : null,
    error: update.error,
    leaseToken: null,
    leasedUntil: null,
    updatedAt: update.now,
    finishedAt: update.status === "active" ? null : update.now,
  };
}

function transactionOn(tx: Tx): StoreTransaction {
  return {
    async insertEvents(events) {
      if (events.length === 0) return;
      await tx
        .insert(localExecutorEvents)
        .values(events.map((event) => ({ id: event.id, name: event.name, payload: event })))
        .onConflictDoNothing();
      await this.notify();
    },

    async takeUnroutedEvents(limit) {
      const rows = await tx
        .select({ payload: localExecutorEvents.payload })
        .from(localExecutorEvents)
        .where(isNull(localExecutorEvents.routedAt))
        .orderBy(asc(localExecutorEvents.receivedAt), asc(localExecutorEvents.id))
        .limit(limit)
        .for("update", { skipLocked: true });
      return rows.map((row) => row.payload);
    },

    async markRouted(eventIds, now) {
      if (eventIds.length === 0) return;
      await tx
        .update(localExecutorEvents)
        .set({ routedAt: now })
        .where(and(inArray(localExecutorEvents.id, eventIds), isNull(localExecutorEvents.routedAt)));
    },

    async replaceFunctions(appId, functions, now) {
      const functionIds = functions.map((f) => f.id);
      await tx
        .delete(localExecutorFunctions)
        .where(and(eq(localExecutorFunctions.appId, appId), functionIds.length ? notInArray(localExecutorFunctions.id, functionIds) : undefined));
      for (const { id, config } of functions) {
        await tx
          .insert(localExecutorFunctions)
          .values({ id, appId, config, registeredAt: now })
          .onConflictDoUpdate({ target: localExecutorFunctions.id, set: { appId, config, registeredAt: now } });
      }
    },

    loadFunctions(functionIds) {
      return tx
        .select({ id: localExecutorFunctions.id, appId: localExecutorFunctions.appId, config: localExecutorFunctions.config })
        .from(localExecutorFunctions)
        .where(functionIds ? inArray(localExecutorFunctions.id, functionIds) : undefined);
    },

    async syncCrons(functionId, schedules) {
      const kept = schedules.map((s) => s.schedule);
      await tx
        .delete(localExecutorCrons)
        .where(and(eq(localExecutorCrons.functionId, functionId), kept.length ? notInArray(localExecutorCrons.schedule, kept) : undefined));
      for (const { schedule, nextAt } of schedules) {
        await tx.insert(localExecutorCrons).values({ functionId, schedule, nextAt }).onConflictDoNothing();
      }
    },

    takeDueCrons(functionIds, now) {
      if (functionIds.length === 0) return Promise.resolve([]);
      return tx
        .select()
        .from(localExecutorCrons)
        .where(and(inArray(localExecutorCrons.functionId, functionIds), lte(localExecutorCrons.nextAt, now)))
        .for("update", { skipLocked: true });
    },

    async setCronNext(functionId, schedule, nextAt) {
      await tx
        .update(localExecutorCrons)
        .set({ nextAt })
        .where(and(eq(localExecutorCrons.functionId, functionId), eq(localExecutorCrons.schedule, schedule)));
    },

    async createRun(run) {
      const [created] = await tx
        .insert(localExecutorRuns)
        .values({
          functionId: run.functionId,
          eventId: run.eventId,
          event: run.event,
          maxAttempts: run.maxAttempts,
          priority: run.priority,
          concurrencyKeys: run.concurrencyKeys,
          concurrencyLimits: run.concurrencyLimits,
          runAt: run.now,
          createdAt: run.now,
          ...(run.failed ? { status: "failed" as const, error: run.failed, finishedAt: run.now } : {}),
        })
        .onConflictDoNothing()
        .returning({ id: localExecutorRuns.id });
      return created?.id ?? null;
    },

    activeRuns(functionId) {
      return tx
        .select({ id: localExecutorRuns.id, event: localExecutorRuns.event })
        .from(localExecutorRuns)
        .where(and(eq(localExecutorRuns.functionId, functionId), eq(localExecutorRuns.status, "active")));
    },

    async cancelRuns(runIds, error, now) {
      if (runIds.length === 0) return 0;
      const cancelled = await tx
        .update(localExecutorRuns)
        .set({ status: "cancelled", planned: [], updatedAt: now, finishedAt: now, error })
        .where(and(inArray(localExecutorRuns.id, runIds), eq(localExecutorRuns.status, "active")))
        .returning({ id: localExecutorRuns.id });
      return cancelled.length;
    },

    async claimRuns(functionIds, limit, now, leaseMs) {
      if (functionIds.length === 0 || limit <= 0) return [];
      const at = now.toISOString();
      const saturated = (key: string) =>
        sql`(select count(*) from local_executor_runs o where o.concurrency_keys @> array[${key}]::text[] and o.leased_until >= ${at}::timestamptz)`;
      const candidates = await rawRows<{ id: string; concurrency_keys: string[]; concurrency_limits: number[] }>(
        tx,
        sql`select r.id, r.concurrency_keys, r.concurrency_limits from local_executor_runs r
            where r.status = 'active' and r.function_id in (${ids(functionIds)})
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
        const leaseToken = randomUUID();
        const [run] = await tx
          .update(localExecutorRuns)
          .set({ leaseToken, leasedUntil: new Date(now.getTime() + leaseMs), updatedAt: now })
          .where(eq(localExecutorRuns.id, candidate.id))
          .returning();
        if (run) claimed.push({ ...asStoredRun(run), leaseToken });
      }
      return claimed;
    },

    async saveLeasedRun(runId, leaseToken, update) {
      const [saved] = await tx
        .update(localExecutorRuns)
        .set(updateValues(update))
        .where(and(eq(localExecutorRuns.id, runId), eq(localExecutorRuns.leaseToken, leaseToken), eq(localExecutorRuns.status, "active")))
        .returning({ id: localExecutorRuns.id });
      return Boolean(saved);
    },

    async dropLease(runId, leaseToken) {
      const [dropped] = await tx
        .update(localExecutorRuns)
        .set({ leaseToken: null, leasedUntil: null })
        .where(and(eq(localExecutorRuns.id, runId), eq(localExecutorRuns.leaseToken, leaseToken)))
        .returning({ id: localExecutorRuns.id });
      return Boolean(dropped);
    },

    async takeExpiredRuns(functionIds, now, overdueBefore, ownLeases, limit) {
      if (functionIds.length === 0) return [];
      const rows = await tx
        .select()
        .from(localExecutorRuns)
        .where(
          and(
            eq(localExecutorRuns.status, "active"),
            inArray(localExecutorRuns.functionId, functionIds),
            ownLeases.length ? sql`(${localExecutorRuns.leaseToken} is null or ${notInArray(localExecutorRuns.leaseToken, ownLeases)})` : undefined,
            sql`(${localExecutorRuns.leasedUntil} < ${now.toISOString()}::timestamptz
                 or (${localExecutorRuns.leasedUntil} is null and ${localExecutorRuns.createdAt} < ${overdueBefore.toISOString()}::timestamptz))`,
          ),
        )
        .limit(limit)
        .for("update", { skipLocked: true });
      return rows.map(asStoredRun);
    },

    async updateRun(runId, update) {
      await tx.update(localExecutorRuns).set(updateValues(update)).where(eq(localExecutorRuns.id, runId));
    },

    async notify() {
      await tx.execute(sql`select pg_notify(${LOCAL_EXECUTOR_CHANNEL}, 'work')`);
    },
  };
}

/** The local executor's store in Keel's database (PostgreSQL or embedded PGlite). */
export const keelExecutorStore: ExecutorStore = {
  transaction: (reason, fn) => withSystem(`local executor: ${reason}`, (tx) => fn(transactionOn(tx))),

  async renewLease(runId, leaseToken, until) {
    await withSystem("local executor: renew a lease", (tx) =>
      tx
        .update(localExecutorRuns)
        .set({ leasedUntil: until })
        .where(and(eq(localExecutorRuns.id, runId), eq(localExecutorRuns.leaseToken, leaseToken))),
    );
  },

  async releaseLeases(leaseTokens) {
    if (leaseTokens.length === 0) return;
    await withSystem("local executor: release leases", async (tx) => {
      await tx.update(localExecutorRuns).set({ leaseToken: null, leasedUntil: null }).where(inArray(localExecutorRuns.leaseToken, leaseTokens));
      await transactionOn(tx).notify();
    });
  },

  async nextDueAt(functionIds) {
    if (functionIds.length === 0) return null;
    const [row] = await withSystem("local executor: next due run", (tx) =>
      rawRows<{ at: string | Date | null }>(
        tx,
        sql`select min(coalesce(leased_until, run_at)) as at from local_executor_runs where status = 'active' and function_id in (${ids(functionIds)})`,
      ),
    );
    return row?.at ? new Date(row.at) : null;
  },

  async nextCronAt(functionIds) {
    if (functionIds.length === 0) return null;
    const [row] = await withSystem("local executor: next cron tick", (tx) =>
      tx
        .select({ at: min(localExecutorCrons.nextAt) })
        .from(localExecutorCrons)
        .where(inArray(localExecutorCrons.functionId, functionIds)),
    );
    return row?.at ? new Date(row.at) : null;
  },

  async deleteFinishedBefore(cutoff) {
    await withSystem("local executor: delete week-old runs and events", async (tx) => {
      await tx.delete(localExecutorRuns).where(lt(localExecutorRuns.finishedAt, cutoff));
      await tx.delete(localExecutorEvents).where(lt(localExecutorEvents.routedAt, cutoff));
    });
  },

  subscribe: ({ onWork, onListen }) => subscribeToChannel(LOCAL_EXECUTOR_CHANNEL, { onMessage: onWork, onListen }),
};
