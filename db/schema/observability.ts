// Rollups for the observability page (migration 0015), kept by triggers in the writing statement's
// transaction, like those in ./billing: five-minute and daily usage per provider, actor days and
// weekly active users per feature, and chat answers per hour.
import { bigint, date, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenancy";

const micros = (name: string) => bigint(name, { mode: "number" });

/** Width of a usage_recent_rollups bucket (date_bin from 2000-01-01 UTC). */
export const RECENT_BUCKET_MS = 5 * 60_000;

const tenantId = () =>
  uuid("tenant_id")
    .notNull()
    .references(() => tenants.id, { onDelete: "cascade" });

/** The counters both usage rollups keep. Latency buckets as in usage_rollups (LATENCY_BUCKET_BOUNDS_MS). */
const usageCounters = () => ({
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
});

/** Per tenant, five-minute bucket and provider: the current window ("the last 60 minutes"). */
export const usageRecentRollups = pgTable(
  "usage_recent_rollups",
  { tenantId: tenantId(), bucketStart: timestamp("bucket_start", { withTimezone: true }).notNull(), provider: text("provider").notNull(), ...usageCounters() },
  (t) => [
    primaryKey({ name: "usage_recent_rollups_pk", columns: [t.tenantId, t.bucketStart, t.provider] }),
    index("usage_recent_rollups_bucket_idx").on(t.bucketStart),
  ],
);
export type UsageRecentRollup = typeof usageRecentRollups.$inferSelect;

/** Per tenant, UTC day and provider: the charts. */
export const usageProviderDays = pgTable(
  "usage_provider_days",
  { tenantId: tenantId(), day: date("day", { mode: "string" }).notNull(), provider: text("provider").notNull(), ...usageCounters() },
  (t) => [primaryKey({ name: "usage_provider_days_pk", columns: [t.tenantId, t.day, t.provider] }), index("usage_provider_days_day_idx").on(t.day)],
);
export type UsageProviderDay = typeof usageProviderDays.$inferSelect;

/** Per tenant, feature ("*": any), actor (the member, else the API key; jobs have neither) and UTC day. */
export const usageActorDays = pgTable(
  "usage_actor_days",
  {
    tenantId: tenantId(),
    feature: text("feature").notNull(),
    actorId: uuid("actor_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
  },
  (t) => [primaryKey({ name: "usage_actor_days_pk", columns: [t.tenantId, t.feature, t.actorId, t.day] })],
);
export type UsageActorDay = typeof usageActorDays.$inferSelect;

/** Distinct actors per tenant and feature ("*": any) in the 7 UTC days to each end day. */
export const usageWeeklyActives = pgTable(
  "usage_weekly_actives",
  { tenantId: tenantId(), endDay: date("end_day", { mode: "string" }).notNull(), feature: text("feature").notNull(), actors: integer("actors").notNull() },
  (t) => [primaryKey({ name: "usage_weekly_actives_pk", columns: [t.tenantId, t.endDay, t.feature] }), index("usage_weekly_actives_end_day_idx").on(t.endDay)],
);
export type UsageWeeklyActive = typeof usageWeeklyActives.$inferSelect;

/** Chat answers per tenant and hour of creation: ended (not streaming), complete, answered, and answered but thumbed down or corrected. */
export const chatAnswerHours = pgTable(
  "chat_answer_hours",
  {
    tenantId: tenantId(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    finished: integer("finished").notNull(),
    complete: integer("complete").notNull(),
    /** Complete or stopped by the person (a failure is no answer), as the correction rate counts them. */
    answered: integer("answered").notNull(),
    corrected: integer("corrected").notNull(),
  },
  (t) => [primaryKey({ name: "chat_answer_hours_pk", columns: [t.tenantId, t.hour] }), index("chat_answer_hours_hour_idx").on(t.hour)],
);
export type ChatAnswerHour = typeof chatAnswerHours.$inferSelect;
