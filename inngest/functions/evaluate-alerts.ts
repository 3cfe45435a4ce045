import { evaluateTenantAlerts, tenantsToEvaluate } from "@/lib/observability/alerts";
import { log, serializeError } from "@/lib/observability/log";
import { readObservability } from "@/lib/observability/metrics";
import { inngest } from "../client";

/** `KEEL_ALERTS=off` turns evaluation off (a deployment that alerts from its own monitoring; the unit tests). */
export const alertsEnabled = (env: NodeJS.ProcessEnv = process.env) => env.KEEL_ALERTS?.trim().toLowerCase() !== "off";

/**
 * Every minute: each tenant with recent calls (or an alert still open or owed to its webhook) has
 * its metrics read and its alert episodes opened or resolved, then its webhook deliveries sent.
 * One step per tenant, so a retry re-evaluates only the tenant that failed; a tenant that keeps
 * failing is logged and left to the next minute instead of holding up the others.
 */
export const evaluateAlertsEveryMinute = inngest.createFunction({ id: "evaluate-alerts", triggers: [{ cron: "* * * * *" }] }, async ({ event, step }) => {
  if (!alertsEnabled()) return { skipped: "KEEL_ALERTS=off" };
  // The tick's own time, the same in every re-execution of this run (steps are replayed).
  const now = new Date(typeof event.ts === "number" ? event.ts : Date.now());
  const tenants = await step.run("tenants-to-evaluate", () => tenantsToEvaluate(now));
  let opened = 0;
  let resolved = 0;
  let failed = 0;
  for (const tenantId of tenants) {
    const outcome = await step.run(`evaluate-${tenantId}`, async () => {
      try {
        const evaluation = await evaluateTenantAlerts(tenantId, readObservability, now);
        return { opened: evaluation.opened.length, resolved: evaluation.resolved.length, failed: false };
      } catch (error) {
        log.error({ err: serializeError(error), tenantId }, "alert evaluation failed");
        return { opened: 0, resolved: 0, failed: true };
      }
    });
    opened += outcome.opened;
    resolved += outcome.resolved;
    if (outcome.failed) failed++;
  }
  return { tenants: tenants.length, opened, resolved, failed };
});
