// Crons: each schedule is one stored row with its next time. Firing takes the due rows under a row
// lock, starts the run and moves the next time on in the same transaction, so however many
// executors tick together, each tick starts one run (its event id names the tick, and a run is
// created once per function and event). A tick missed while nothing ran fires once, not once per
// missed tick, as on Inngest.
import { CRON_EVENT, type FunctionPlan } from "./function-plan";
import { createRun } from "./run-queue";
import type { ExecutorStore } from "./store";
import type { ExecutorEvent } from "./types";

const rfc3339 = (time: Date) => time.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The event of one tick, as Inngest's cron service writes it: the tick it stands for, and when it
 * fired (its `ts`; later than the tick when the executor was not running at the tick).
 */
export function cronEvent(functionId: string, schedule: string, tick: Date, firedAt: Date = tick): ExecutorEvent {
  return {
    id: `cron:${functionId}:${schedule}:${rfc3339(tick)}`,
    name: CRON_EVENT,
    data: { cron: schedule, scheduledAt: rfc3339(tick), fireAt: rfc3339(firedAt) },
    ts: firedAt.getTime(),
  };
}

export function fireDueCrons(store: ExecutorStore, plans: Map<string, FunctionPlan>, now: Date): Promise<number> {
  if (plans.size === 0) return Promise.resolve(0);
  return store.transaction("fire due crons", async (tx) => {
    let fired = 0;
    for (const row of await tx.takeDueCrons([...plans.keys()], now)) {
      const plan = plans.get(row.functionId);
      const cron = plan?.crons.find((c) => c.schedule === row.schedule)?.cron;
      if (!plan || !cron) continue;
      const event = cronEvent(row.functionId, row.schedule, row.nextAt, now);
      if (await createRun(tx, plan, event, now)) fired++;
      await tx.setCronNext(row.functionId, row.schedule, cron.next(now));
    }
    if (fired > 0) await tx.notify();
    return fired;
  });
}
