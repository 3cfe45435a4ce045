// Alert episodes in the database: applying one evaluation's transitions for a tenant (in that
// tenant's scope), telling its owners and admins in the app, recording each end's webhook delivery
// in the same transaction, and listing episodes for the page.
import { and, count, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { alertEpisodes, memberships, type AlertEpisode } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant, type ScopeOptions } from "@/db/scope";
import { notifyIn } from "@/lib/notifications/notifications";
import type { MetricReading } from "@/lib/observability/metric-types";
import { deliveriesByEventKey, describeDelivery, type DeliveryRef } from "@/lib/webhooks/deliveries";
import { alertEventKey, recordAlertDelivery } from "./delivery";
import { alertTransitions } from "./transitions";

export interface AppliedTransitions {
  opened: AlertEpisode[];
  resolved: AlertEpisode[];
  /** The webhook deliveries recorded for them, whose jobs are to be requested. */
  deliveries: DeliveryRef[];
}

const OBSERVABILITY_LINK = "/observability";

/**
 * Opens and resolves the tenant's episodes for these readings. Opening inserts against the
 * one-open-episode index and resolving updates only a still-open row, so two evaluations racing
 * each other change each episode once; only the one that changed it notifies.
 */
export function applyAlertReadings(
  tenantId: string,
  readings: MetricReading[],
  now: Date,
  options: Pick<ScopeOptions, "db"> = {},
): Promise<AppliedTransitions> {
  return withTenant(
    tenantId,
    async (tx) => {
      const open = await tx
        .select({ id: alertEpisodes.id, metricKey: alertEpisodes.metricKey, peakValue: alertEpisodes.peakValue })
        .from(alertEpisodes)
        .where(and(eq(alertEpisodes.tenantId, tenantId), isNull(alertEpisodes.resolvedAt)));
      const transitions = alertTransitions(readings, open);
      const applied: AppliedTransitions = { opened: [], resolved: [], deliveries: [] };

      for (const reading of transitions.open) {
        const [episode] = await tx
          .insert(alertEpisodes)
          .values({
            tenantId,
            metricKey: reading.key,
            label: reading.label,
            unit: reading.unit,
            threshold: reading.threshold!.alert,
            openedAt: now,
            openedValue: reading.value!,
            peakValue: reading.value!,
          })
          .onConflictDoNothing()
          .returning();
        if (episode) applied.opened.push(episode);
      }
      for (const { episode, value } of transitions.resolve) {
        const [resolved] = await tx
          .update(alertEpisodes)
          .set({ resolvedAt: now, resolvedValue: value })
          .where(and(eq(alertEpisodes.id, episode.id), isNull(alertEpisodes.resolvedAt)))
          .returning();
        if (resolved) applied.resolved.push(resolved);
      }
      for (const { episode, value } of transitions.newPeaks) {
        await tx.update(alertEpisodes).set({ peakValue: value }).where(eq(alertEpisodes.id, episode.id));
      }
      if (applied.opened.length + applied.resolved.length > 0) await notifyAdmins(tx, tenantId, applied);
      for (const [episodes, end] of [
        [applied.opened, "opened"],
        [applied.resolved, "resolved"],
      ] as const) {
        for (const episode of episodes) {
          const delivery = await recordAlertDelivery(tx, episode, end, now);
          if (delivery) applied.deliveries.push(delivery);
        }
      }
      return applied;
    },
    options,
  );
}

async function notifyAdmins(tx: Tx, tenantId: string, applied: AppliedTransitions): Promise<void> {
  const admins = await tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.tenantId, tenantId), inArray(memberships.role, ["owner", "admin"])));
  for (const { userId } of admins) {
    for (const episode of applied.opened) {
      await notifyIn(tx, tenantId, {
        userId,
        kind: "alert.opened",
        title: `Alert: ${episode.label}`,
        body: `${formatAlertValue(episode.openedValue, episode.unit)} crossed the alert line of ${formatAlertValue(episode.threshold, episode.unit)}.`,
        link: OBSERVABILITY_LINK,
      });
    }
    for (const episode of applied.resolved) {
      await notifyIn(tx, tenantId, {
        userId,
        kind: "alert.resolved",
        title: `Resolved: ${episode.label}`,
        body:
          episode.resolvedValue === null
            ? "No data left in the window."
            : `Back to ${formatAlertValue(episode.resolvedValue, episode.unit)} (alert line ${formatAlertValue(episode.threshold, episode.unit)}).`,
        link: OBSERVABILITY_LINK,
      });
    }
  }
}

export function formatAlertValue(value: number, unit: string): string {
  switch (unit) {
    case "ratio":
      return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
    case "ms":
      return value >= 1_000 ? `${(value / 1_000).toFixed(1)} s` : `${Math.round(value)} ms`;
    case "usd":
      return `$${value.toFixed(4)}`;
    default:
      return Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en-US") : String(Math.round(value * 100) / 100);
  }
}

export interface AlertEpisodeView {
  id: string;
  metricKey: string;
  label: string;
  unit: string;
  threshold: number;
  openedAt: Date;
  openedValue: number;
  peakValue: number;
  resolvedAt: Date | null;
  resolvedValue: number | null;
  /** "sent", "pending", or why it was not sent, for each end. */
  webhook: { opened: string; resolved: string | null };
}

/** The tenant's open episodes first, then the most recent resolved ones. */
export async function listAlertEpisodes(tenantId: string, limit = 50, options: Pick<ScopeOptions, "db"> = {}): Promise<AlertEpisodeView[]> {
  const { rows, deliveries } = await withTenant(
    tenantId,
    async (tx) => {
      const rows = await tx
        .select()
        .from(alertEpisodes)
        .where(eq(alertEpisodes.tenantId, tenantId))
        .orderBy(sql`${alertEpisodes.resolvedAt} IS NOT NULL`, desc(alertEpisodes.openedAt))
        .limit(limit);
      const keys = rows.flatMap((row) => [alertEventKey(row.id, "opened"), ...(row.resolvedAt ? [alertEventKey(row.id, "resolved")] : [])]);
      return { rows, deliveries: await deliveriesByEventKey(tx, tenantId, keys) };
    },
    options,
  );
  return rows.map((row) => ({
    id: row.id,
    metricKey: row.metricKey,
    label: row.label,
    unit: row.unit,
    threshold: row.threshold,
    openedAt: row.openedAt,
    openedValue: row.openedValue,
    peakValue: row.peakValue,
    resolvedAt: row.resolvedAt,
    resolvedValue: row.resolvedValue,
    webhook: {
      opened: describeDelivery(deliveries.get(alertEventKey(row.id, "opened"))),
      resolved: row.resolvedAt ? describeDelivery(deliveries.get(alertEventKey(row.id, "resolved"))) : null,
    },
  }));
}

/** How many of the tenant's alerts are open now (the app's banner for owners and admins). */
export async function countOpenAlerts(tenantId: string, options: Pick<ScopeOptions, "db"> = {}): Promise<number> {
  const [row] = await withTenant(
    tenantId,
    (tx) =>
      tx
        .select({ open: count() })
        .from(alertEpisodes)
        .where(and(eq(alertEpisodes.tenantId, tenantId), isNull(alertEpisodes.resolvedAt))),
    options,
  );
  return row?.open ?? 0;
}
