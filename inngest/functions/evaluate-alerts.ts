import { evaluateTenantAlerts, tenantsToEvaluate } from "@/lib/observability/alerts";
import { log, serializeError } from "@/core/log";
import { readObservability } from "@/lib/observability/metrics";
import { inngest } from "../client";
import { requestWebhookDeliveries } from "../webhook-jobs";
import { groupEvenly } from "./step-groups";

/** `KEEL_ALERTS=off` turns evaluation off (a deployment that alerts from its own monitoring; the unit tests). */
const alertsEnabled = (env: NodeJS.ProcessEnv = process.env) => env.KEEL_ALERTS?.trim().toLowerCase() !== "off";

/** Steps of tenant evaluations per run, far under Inngest's 1,000: many tenants share a step. */
const MAX_EVALUATION_STEPS = 400;

/**
 * Every minute: each tenant with recent calls (or an alert still open) has its metrics read and
 * its alert episodes opened or resolved; the webhook deliveries that owes are recorded with them
 * and handed to delivery jobs of their own (deliver-webhook), so no receiver can hold this up.
 * Tenants are evaluated in groups, one step each, so a retry re-evaluates only that group; a tenant
 * that fails is logged and left to the next minute instead of holding up the others.
 */
export const evaluateAlertsEveryMinute = inngest.createFunction({ id: "evaluate-alerts", triggers: [{ cron: "* * * * *" }] }, async ({ event, step }) => {
  if (!alertsEnabled()) return { skipped: "KEEL_ALERTS=off" };
  // The tick's own time, the same in every re-execution of this run (steps are replayed).
  const now = new Date(typeof event.ts === "number" ? event.ts : Date.now());
  const tenants = await step.run("tenants-to-evaluate", () => tenantsToEvaluate(now));
  let opened = 0;
  let resolved = 0;
  let failed = 0;
  for (const [group, tenantIds] of groupEvenly(tenants, MAX_EVALUATION_STEPS).entries()) {
    const outcome = await step.run(`evaluate-${group}`, async () => {
      const counts = { opened: 0, resolved: 0, failed: 0 };
      for (const tenantId of tenantIds) {
        try {
          const evaluation = await evaluateTenantAlerts(tenantId, readObservability, now);
          await requestWebhookDeliveries(evaluation.deliveries);
          counts.opened += evaluation.opened.length;
          counts.resolved += evaluation.resolved.length;
        } catch (error) {
          log.error({ err: serializeError(error), tenantId }, "alert evaluation failed");
          counts.failed++;
        }
      }
      return counts;
    });
    opened += outcome.opened;
    resolved += outcome.resolved;
    failed += outcome.failed;
  }
  return { tenants: tenants.length, opened, resolved, failed };
});
