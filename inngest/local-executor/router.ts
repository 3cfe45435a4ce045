// Routing: each stored event starts a run of every registered function (of any app) whose trigger
// it matches, and cancels the active runs it matches through a function's `cancelOn`. Events are
// taken oldest first under a row lock, so each is routed once even with several executors.
import { withSystem } from "@/db/scope";
import { log } from "@/lib/observability/log";
import { markRouted, notifyExecutors, takeUnroutedEvents } from "./event-store";
import { cancelRuns, createRun } from "./run-store";
import { loadPlans } from "./registry";

const BATCH = 100;

export function routeEvents(now: Date): Promise<number> {
  return withSystem("local executor: route events to functions", async (tx) => {
    const events = await takeUnroutedEvents(tx, BATCH);
    if (events.length === 0) return 0;
    const plans = await loadPlans(tx);
    for (const { payload: event } of events) {
      for (const plan of plans) {
        if (plan.triggers.some((trigger) => trigger.matches(event))) {
          const runId = await createRun(tx, plan, event, now);
          if (runId && plan.unsupported)
            log.error({ functionId: plan.id, runId, event: event.name }, `local executor: run failed at once: ${plan.unsupported}`);
        }
        for (const cancellation of plan.cancellations) {
          if (cancellation.event !== event.name) continue;
          const cancelled = await cancelRuns(tx, plan, cancellation, event, now);
          if (cancelled > 0) log.info({ functionId: plan.id, event: event.name, cancelled }, "local executor: cancelled runs");
        }
      }
    }
    await markRouted(
      tx,
      events.map((e) => e.id),
      now,
    );
    await notifyExecutors(tx);
    return events.length;
  });
}
