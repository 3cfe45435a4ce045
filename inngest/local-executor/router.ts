// Routing: each stored event starts a run of every registered function (of any app) whose trigger
// it matches, and cancels the active runs it matches through a function's `cancelOn`. Events are
// taken oldest first under a row lock, so each is routed once even with several executors.
import { loadPlans } from "./registry";
import { cancelMatchingRuns, createRun } from "./run-queue";
import type { ExecutorStore } from "./store";
import type { ExecutorLogger } from "./types";

const BATCH = 100;

export function routeEvents(store: ExecutorStore, logger: ExecutorLogger, now: Date): Promise<number> {
  return store.transaction("route events to functions", async (tx) => {
    const events = await tx.takeUnroutedEvents(BATCH);
    if (events.length === 0) return 0;
    const plans = await loadPlans(tx, logger);
    for (const event of events) {
      for (const plan of plans) {
        if (plan.triggers.some((trigger) => trigger.matches(event))) {
          const runId = await createRun(tx, plan, event, now);
          if (runId && plan.unsupported)
            logger.error({ functionId: plan.id, runId, event: event.name }, `local executor: run failed at once: ${plan.unsupported}`);
        }
        for (const cancellation of plan.cancellations) {
          if (cancellation.event !== event.name) continue;
          const cancelled = await cancelMatchingRuns(tx, plan, cancellation, event, now);
          if (cancelled > 0) logger.info({ functionId: plan.id, event: event.name, cancelled }, "local executor: cancelled runs");
        }
      }
    }
    await tx.markRouted(
      events.map((e) => e.id),
      now,
    );
    await tx.notify();
    return events.length;
  });
}
