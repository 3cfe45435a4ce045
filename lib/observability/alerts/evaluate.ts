// One evaluation: read each tenant's metrics, open and resolve its episodes, and record the webhook
// deliveries they owe (sent by jobs of their own, never here: a slow receiver holds up no
// evaluation). Which tenants: those with gateway calls in the last two days (a metric can only
// cross a line with data) and those with an episode still open.
import { gte, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { alertEpisodes, usageRollups } from "@/db/schema";
import { withSystem } from "@/db/scope";
import type { ObservabilityReport, ObservabilityScope } from "@/lib/observability/metric-types";
import type { DeliveryRef } from "@/lib/webhooks/deliveries";
import { applyAlertReadings } from "./episodes";

export type ReadObservability = (scope: ObservabilityScope, options: { now: Date }) => Promise<ObservabilityReport>;

export interface TenantEvaluation {
  tenantId: string;
  opened: string[];
  resolved: string[];
  /** Webhook deliveries recorded, whose jobs the caller requests. */
  deliveries: DeliveryRef[];
}

export async function tenantsToEvaluate(now: Date): Promise<string[]> {
  const since = new Date(now.getTime() - 2 * 86_400_000).toISOString().slice(0, 10);
  return withSystem("alerts: tenants with recent usage or open alerts", async (tx) => {
    const active = await tx.selectDistinct({ tenantId: usageRollups.tenantId }).from(usageRollups).where(gte(usageRollups.day, since));
    const open = await tx.selectDistinct({ tenantId: alertEpisodes.tenantId }).from(alertEpisodes).where(isNull(alertEpisodes.resolvedAt));
    return [...new Set([...active, ...open].map((row) => row.tenantId))].sort();
  });
}

export async function evaluateTenantAlerts(tenantId: string, read: ReadObservability, now: Date, options: { db?: Db } = {}): Promise<TenantEvaluation> {
  const report = await read({ kind: "tenant", tenantId }, { now });
  const applied = await applyAlertReadings(tenantId, report.metrics, now, options);
  return {
    tenantId,
    opened: applied.opened.map((e) => e.metricKey),
    resolved: applied.resolved.map((e) => e.metricKey),
    deliveries: applied.deliveries,
  };
}
