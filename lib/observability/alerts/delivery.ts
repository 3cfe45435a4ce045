// What each end of an episode (opened, resolved) sends to the tenant's webhook: a delivery recorded
// in the transaction that opened or resolved the episode (lib/webhooks/deliveries.ts), keyed so it
// is recorded once however often evaluations race, and delivered by a job of its own.
import type { Tx } from "@/db/client";
import type { AlertEpisode } from "@/db/schema";
import { recordWebhookDelivery, type DeliveryRef, type WebhookEvent } from "@/lib/webhooks/deliveries";

export type EpisodeEnd = "opened" | "resolved";

export const alertEventKey = (episodeId: string, end: EpisodeEnd) => `alert:${episodeId}:${end}`;

function alertWebhookEvent(episode: AlertEpisode, end: EpisodeEnd): WebhookEvent {
  return {
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

/** Records the webhook delivery of one end of an episode; returns it when it is to be sent. */
export function recordAlertDelivery(tx: Tx, episode: AlertEpisode, end: EpisodeEnd, now: Date): Promise<DeliveryRef | null> {
  return recordWebhookDelivery(tx, episode.tenantId, alertEventKey(episode.id, end), alertWebhookEvent(episode, end), now);
}
