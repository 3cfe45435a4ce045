// One evaluation: read each tenant's metrics, open and resolve its episodes, then send the webhook
// deliveries still owed. Which tenants: those with gateway calls in the last two days (a metric can
// only cross a line with data) and those with an episode still open or a delivery still owed.
import { and, gte, isNotNull, isNull, or } from "drizzle-orm";
import { alertEpisodes, usageRollups } from "@/db/schema";
import { withSystem } from "@/db/scope";
import type { ObservabilityReport, ObservabilityScope } from "@/lib/observability/metric-types";
import type { TenantWebhookOptions } from "@/lib/webhooks/tenant-webhook";
import { deliverPendingAlertWebhooks, type DeliveryReport } from "./delivery";
import { applyAlertReadings } from "./episodes";

export type ReadObservability = (scope: ObservabilityScope, options: { now: Date }) => Promise<ObservabilityReport>;

export interface TenantEvaluation {
  tenantId: string;
  opened: string[];
  resolved: string[];
  delivery: DeliveryReport;
}

export async function tenantsToEvaluate(now: Date): Promise<string[]> {
  const since = new Date(now.getTime() - 2 * 86_400_000).toISOString().slice(0, 10);
  return withSystem("alerts: tenants with recent usage or open alerts", async (tx) => {
    const active = await tx.selectDistinct({ tenantId: usageRollups.tenantId }).from(usageRollups).where(gte(usageRollups.day, since));
    const owed = await tx
      .selectDistinct({ tenantId: alertEpisodes.tenantId })
      .from(alertEpisodes)
      .where(
        or(
          isNull(alertEpisodes.resolvedAt),
          isNull(alertEpisodes.openedDeliveredAt),
          and(isNotNull(alertEpisodes.resolvedAt), isNull(alertEpisodes.resolvedDeliveredAt)),
        ),
      );
    return [...new Set([...active, ...owed].map((row) => row.tenantId))].sort();
  });
}

export async function evaluateTenantAlerts(
  tenantId: string,
  read: ReadObservability,
  now: Date,
  webhookOptions: TenantWebhookOptions = {},
): Promise<TenantEvaluation> {
  const report = await read({ kind: "tenant", tenantId }, { now });
  const applied = await applyAlertReadings(tenantId, report.metrics, now, { db: webhookOptions.db });
  const delivery = await deliverPendingAlertWebhooks(tenantId, webhookOptions);
  return { tenantId, opened: applied.opened.map((e) => e.metricKey), resolved: applied.resolved.map((e) => e.metricKey), delivery };
}
