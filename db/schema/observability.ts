// Rollups for the observability page (migration 0015), kept by a trigger on usage_events in the
// inserting statement's transaction, like those in ./billing. Five-minute buckets give "the last
// hour" a window that slides every five minutes; actor days give weekly active users per feature.
import { bigint, date, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenancy";

const micros = (name: string) => bigint(name, { mode: "number" });

/** Width of a usage_recent_rollups bucket (date_bin from 2000-01-01 UTC). */
export const RECENT_BUCKET_MS = 5 * 60_000;

/** Per tenant, five-minute bucket and provider. Latency buckets as in usage_rollups (LATENCY_BUCKET_BOUNDS_MS). */
export const usageRecentRollups = pgTable(
  "usage_recent_rollups",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    bucketStart: timestamp("bucket_start", { withTimezone: true }).notNull(),
    provider: text("provider").notNull(),
    requests: integer("requests").notNull(),
    errors: integer("errors").notNull(),
    inputTokens: micros("input_tokens").notNull(),
    outputTokens: micros("output_tokens").notNull(),
    costMicroUsd: micros("cost_micro_usd").notNull(),
    cacheHits: integer("cache_hits").notNull(),
    fallbackCalls: integer("fallback_calls").notNull(),
    latencyMsMax: integer("latency_ms_max").notNull(),
    latencyBuckets: integer("latency_buckets").array().notNull(),
    validationPass: integer("validation_pass").notNull(),
    validationRepaired: integer("validation_repaired").notNull(),
    validationFailed: integer("validation_failed").notNull(),
  },
  (t) => [
    primaryKey({ name: "usage_recent_rollups_pk", columns: [t.tenantId, t.bucketStart, t.provider] }),
    index("usage_recent_rollups_bucket_idx").on(t.bucketStart),
  ],
);
export type UsageRecentRollup = typeof usageRecentRollups.$inferSelect;

/** Per tenant, UTC day, feature and actor (the member, else the API key; jobs have neither). */
export const usageActorDays = pgTable(
  "usage_actor_days",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    feature: text("feature").notNull(),
    actorId: uuid("actor_id").notNull(),
    requests: integer("requests").notNull(),
  },
  (t) => [primaryKey({ name: "usage_actor_days_pk", columns: [t.tenantId, t.day, t.feature, t.actorId] }), index("usage_actor_days_day_idx").on(t.day)],
);
export type UsageActorDay = typeof usageActorDays.$inferSelect;
