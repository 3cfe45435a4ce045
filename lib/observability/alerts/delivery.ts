// Each end of an episode (opened, resolved) goes to the tenant's signed webhook once. A delivery
// first claims the episode for a minute, so two evaluations that overlap never both send it; a
// failed delivery is retried by the next evaluations, up to MAX_DELIVERY_ATTEMPTS, and the event
// id stays the same across retries so a receiver can drop a repeat.
import { and, eq, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { alertEpisodes, type AlertEpisode } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { describeOutcome, sendTenantWebhook, type TenantWebhookOptions } from "@/lib/webhooks/tenant-webhook";

export const MAX_DELIVERY_ATTEMPTS = 10;
const CLAIM_SECONDS = 60;

type EpisodeEnd = "opened" | "resolved";

export interface DeliveryReport {
  sent: { episodeId: string; end: EpisodeEnd }[];
  notSent: { episodeId: string; end: EpisodeEnd; reason: string }[];
}

const pendingEnd = or(isNull(alertEpisodes.openedDeliveredAt), and(isNotNull(alertEpisodes.resolvedAt), isNull(alertEpisodes.resolvedDeliveredAt)));

export async function deliverPendingAlertWebhooks(tenantId: string, options: TenantWebhookOptions = {}): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: [], notSent: [] };
  const pending = await withTenant(
    tenantId,
    (tx) =>
      tx
        .select({ id: alertEpisodes.id })
        .from(alertEpisodes)
        .where(and(eq(alertEpisodes.tenantId, tenantId), pendingEnd))
        .orderBy(alertEpisodes.openedAt),
    options,
  );
  for (const { id } of pending) {
    // An episode that opened and resolved before either end went out sends both, in order.
    for (let ends = 0; ends < 2; ends++) {
      const episode = await claim(tenantId, id, options);
      if (!episode) break;
      const end: EpisodeEnd = episode.openedDeliveredAt ? "resolved" : "opened";
      const outcome = await sendTenantWebhook(tenantId, alertEvent(episode, end), options);
      const reason = outcome.kind === "none" ? "No webhook set in Settings." : describeOutcome(outcome);
      const attempts = episode.deliveryAttempts + 1;
      const settled = outcome.kind !== "failed" || attempts >= MAX_DELIVERY_ATTEMPTS;
      const error = outcome.kind === "failed" && settled ? `Gave up after ${attempts} attempts: ${reason}` : reason;
      await withTenant(
        tenantId,
        (tx) =>
          tx
            .update(alertEpisodes)
            .set({
              ...(end === "opened"
                ? { openedDeliveredAt: settled ? new Date() : null, openedDeliveryError: error }
                : { resolvedDeliveredAt: settled ? new Date() : null, resolvedDeliveryError: error }),
              deliveryAttempts: settled ? 0 : attempts,
              deliveryClaimedUntil: null,
            })
            .where(eq(alertEpisodes.id, id)),
        options,
      );
      if (outcome.kind === "delivered") report.sent.push({ episodeId: id, end });
      else report.notSent.push({ episodeId: id, end, reason: error ?? outcome.kind });
      if (!settled) break;
    }
  }
  return report;
}

/** Takes the episode for this delivery if it still has an end to send and nobody else holds it. */
async function claim(tenantId: string, id: string, options: TenantWebhookOptions): Promise<AlertEpisode | undefined> {
  const [episode] = await withTenant(
    tenantId,
    (tx) =>
      tx
        .update(alertEpisodes)
        .set({ deliveryClaimedUntil: sql`now() + make_interval(secs => ${CLAIM_SECONDS})` })
        .where(and(eq(alertEpisodes.id, id), pendingEnd, or(isNull(alertEpisodes.deliveryClaimedUntil), lt(alertEpisodes.deliveryClaimedUntil, sql`now()`))))
        .returning(),
    options,
  );
  return episode;
}

function alertEvent(episode: AlertEpisode, end: EpisodeEnd) {
  return {
    id: `${episode.id}:${end}`,
    type: `alert.${end}`,
    alert: {
      id: episode.id,
      metric: episode.metricKey,
      label: episode.label,
      unit: episode.unit,
      threshold: episode.threshold,
      openedAt: episode.openedAt.toISOString(),
      openedValue: episode.openedValue,
      peakValue: episode.peakValue,
      resolvedAt: episode.resolvedAt?.toISOString() ?? null,
      resolvedValue: episode.resolvedValue,
    },
  };
}
