// Alert episodes: one row from the evaluation that saw a metric cross its alert line to the one
// that saw it back under its warn line. At most one open episode per tenant and metric (a partial
// unique index), so two evaluators racing open it once. Each end of an episode is sent to the
// tenant's webhook once: the delivery columns record it, and failed deliveries are retried by
// later evaluations until they succeed or run out of attempts.
import { sql } from "drizzle-orm";
import { doublePrecision, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenancy";

export const alertEpisodes = pgTable(
  "alert_episodes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    metricKey: text("metric_key").notNull(),
    label: text("label").notNull(),
    unit: text("unit").notNull(),
    /** The alert line in force when it opened. */
    threshold: doublePrecision("threshold").notNull(),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull().defaultNow(),
    openedValue: doublePrecision("opened_value").notNull(),
    /** The worst value seen while open. */
    peakValue: doublePrecision("peak_value").notNull(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    resolvedValue: doublePrecision("resolved_value"),
    /** Set when that end's delivery is settled: sent, or not to be sent (its error says why). */
    openedDeliveredAt: timestamp("opened_delivered_at", { withTimezone: true }),
    /** Why the opened end was not (yet) delivered: no webhook, refused address, the receiver's answer. */
    openedDeliveryError: text("opened_delivery_error"),
    resolvedDeliveredAt: timestamp("resolved_delivered_at", { withTimezone: true }),
    resolvedDeliveryError: text("resolved_delivery_error"),
    /** Failed attempts at the end now pending. */
    deliveryAttempts: integer("delivery_attempts").notNull().default(0),
    /** A delivery in flight holds the episode until then, so overlapping evaluations never send twice. */
    deliveryClaimedUntil: timestamp("delivery_claimed_until", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("alert_episodes_one_open_idx")
      .on(t.tenantId, t.metricKey)
      .where(sql`resolved_at IS NULL`),
    index("alert_episodes_tenant_opened_idx").on(t.tenantId, t.openedAt),
  ],
);
export type AlertEpisode = typeof alertEpisodes.$inferSelect;
