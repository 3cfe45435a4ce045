// Crons: each schedule is one row with its next time. Firing takes the due rows under a row lock
// (FOR UPDATE SKIP LOCKED), starts the run and moves the next time on in the same transaction, so
// however many executors tick together, each tick starts one run. A tick missed while nothing
// ran fires once, not once per missed tick, as on Inngest.
import { and, eq, inArray, lte, min } from "drizzle-orm";
import { localExecutorCrons } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { notifyExecutors } from "./event-store";
import { CRON_EVENT, type FunctionPlan } from "./function-plan";
import { createRun } from "./run-store";

export function fireDueCrons(plans: Map<string, FunctionPlan>, now: Date): Promise<number> {
  if (plans.size === 0) return Promise.resolve(0);
  return withSystem("local executor: fire due crons", async (tx) => {
    const due = await tx
      .select()
      .from(localExecutorCrons)
      .where(and(inArray(localExecutorCrons.functionId, [...plans.keys()]), lte(localExecutorCrons.nextAt, now)))
      .for("update", { skipLocked: true });
    let fired = 0;
    for (const row of due) {
      const plan = plans.get(row.functionId);
      const cron = plan?.crons.find((c) => c.schedule === row.schedule)?.cron;
      if (!plan || !cron) continue;
      const tick = row.nextAt.toISOString();
      const event = { id: `cron:${row.functionId}:${row.schedule}:${tick}`, name: CRON_EVENT, data: { cron: row.schedule }, ts: now.getTime() };
      if (await createRun(tx, plan, event, now)) fired++;
      await tx
        .update(localExecutorCrons)
        .set({ nextAt: cron.next(now) })
        .where(and(eq(localExecutorCrons.functionId, row.functionId), eq(localExecutorCrons.schedule, row.schedule)));
    }
    if (fired > 0) await notifyExecutors(tx);
    return fired;
  });
}

export async function nextCronAt(functionIds: string[]): Promise<Date | null> {
  if (functionIds.length === 0) return null;
  const [row] = await withSystem("local executor: next cron tick", (tx) =>
    tx
      .select({ at: min(localExecutorCrons.nextAt) })
      .from(localExecutorCrons)
      .where(inArray(localExecutorCrons.functionId, functionIds)),
  );
  return row?.at ? new Date(row.at) : null;
}
