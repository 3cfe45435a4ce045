// Crons: each schedule is one stored row with its next time. Firing takes the due rows under a row
// lock, starts the run and moves the next time on in the same transaction, so however many
// executors tick together, each tick starts one run (its event id names the tick, and a run is
// created once per function and event). A tick missed while nothing ran fires once, not once per
// missed tick, as on Inngest.
import { CRON_EVENT, type FunctionPlan } from "./function-plan";
import { createRun } from "./run-queue";
import type { ExecutorStore } from "./store";
import type { ExecutorEvent } from "./types";

/** The event of one tick, as Inngest's cron service writes it (no jitter: fired at the tick). */
export function cronEvent(functionId: string, schedule: string, tick: Date): ExecutorEvent {
  const at = tick.toISOString().replace(/\.\d{3}Z$/, "Z");
  return { id: `cron:${functionId}:${schedule}:${at}`, name: CRON_EVENT, data: { cron: schedule, scheduledAt: at, fireAt: at }, ts: tick.getTime() };
}

export function fireDueCrons(store: ExecutorStore, plans: Map<string, FunctionPlan>, now: Date): Promise<number> {
  if (plans.size === 0) return Promise.resolve(0);
  return store.transaction("fire due crons", async (tx) => {
    let fired = 0;
    for (const row of await tx.takeDueCrons([...plans.keys()], now)) {
      const plan = plans.get(row.functionId);
      const cron = plan?.crons.find((c) => c.schedule === row.schedule)?.cron;
      if (!plan || !cron) continue;
      const event = cronEvent(row.functionId, row.schedule, row.nextAt);
      if (await createRun(tx, plan, event, now)) fired++;
      await tx.setCronNext(row.functionId, row.schedule, cron.next(now));
    }
    if (fired > 0) await tx.notify();
    return fired;
  });
}
