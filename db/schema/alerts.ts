// Alert episodes: one row from the evaluation that saw a metric cross its alert line to the one
// that saw it back under its warn line. At most one open episode per tenant and metric (a partial
// unique index), so two evaluators racing open it once. Each end of an episode is owed to the
// tenant's webhook once: a webhook delivery (./webhooks.ts) keyed `alert:<episode id>:<end>`.
import { sql } from "drizzle-orm";
import { doublePrecision, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
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
  },
  (t) => [
    uniqueIndex("alert_episodes_one_open_idx")
      .on(t.tenantId, t.metricKey)
      .where(sql`resolved_at IS NULL`),
    index("alert_episodes_tenant_opened_idx").on(t.tenantId, t.openedAt),
  ],
);
export type AlertEpisode = typeof alertEpisodes.$inferSelect;
