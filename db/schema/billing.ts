// Usage rollups and billing. The rollups are kept by a trigger on usage_events (migration 0013), in
// the inserting statement's transaction, so they always equal the events they count. Each event is
// billed in a monthly period (UTC): its own month, or, when that month is already closed, the first
// open one (a late event, listed in usage_late_events). Closed periods keep an immutable snapshot.
import { bigint, date, index, integer, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenancy";
import { usageEvents } from "./ai";

const micros = (name: string) => bigint(name, { mode: "number" });

/** Upper bounds (ms) of the latency histogram's buckets; the last bucket holds everything slower. */
export const LATENCY_BUCKET_BOUNDS_MS = [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000] as const;

/** Per tenant, billing period, day, provider, model and feature: what the usage, billing and operations pages read. */
export const usageRollups = pgTable(
  "usage_rollups",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** The billing period (first day of a UTC month) the events were billed in. */
    periodStart: date("period_start", { mode: "string" }).notNull(),
    /** The events' own day (UTC); before periodStart for late events. */
    day: date("day", { mode: "string" }).notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    feature: text("feature").notNull(),
    requests: integer("requests").notNull(),
    errors: integer("errors").notNull(),
    partials: integer("partials").notNull(),
    inputTokens: micros("input_tokens").notNull(),
    outputTokens: micros("output_tokens").notNull(),
    costMicroUsd: micros("cost_micro_usd").notNull(),
    savedMicroUsd: micros("saved_micro_usd").notNull(),
    cacheExact: integer("cache_exact").notNull(),
    cacheSemantic: integer("cache_semantic").notNull(),
    /** Calls that fell back to another provider at least once, and the fallbacks in all. */
    fallbackCalls: integer("fallback_calls").notNull(),
    fallbacks: integer("fallbacks").notNull(),
    attempts: integer("attempts").notNull(),
    latencyMsSum: micros("latency_ms_sum").notNull(),
    latencyMsMax: integer("latency_ms_max").notNull(),
    /** Counts per LATENCY_BUCKET_BOUNDS_MS bucket (one more than the bounds). */
    latencyBuckets: integer("latency_buckets").array().notNull(),
    ttftMsSum: micros("ttft_ms_sum").notNull(),
    ttftCount: integer("ttft_count").notNull(),
    validationPass: integer("validation_pass").notNull(),
    validationRepaired: integer("validation_repaired").notNull(),
    validationFailed: integer("validation_failed").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.periodStart, t.day, t.provider, t.model, t.feature] }), index("usage_rollups_day_idx").on(t.day)],
);
export type UsageRollup = typeof usageRollups.$inferSelect;
export type NewUsageRollup = typeof usageRollups.$inferInsert;

/**
 * Per tenant, billing period, member, API key and feature: who spends (the admin's breakdowns, a
 * member's own totals). No day: a period's worth is a few rows per member. Null member: a job;
 * null key: the app.
 */
export const usageActorRollups = pgTable(
  "usage_actor_rollups",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    userId: uuid("user_id"),
    apiKeyId: uuid("api_key_id"),
    feature: text("feature").notNull(),
    requests: integer("requests").notNull(),
    errors: integer("errors").notNull(),
    inputTokens: micros("input_tokens").notNull(),
    outputTokens: micros("output_tokens").notNull(),
    costMicroUsd: micros("cost_micro_usd").notNull(),
    savedMicroUsd: micros("saved_micro_usd").notNull(),
    cacheHits: integer("cache_hits").notNull(),
  },
  (t) => [
    unique("usage_actor_rollups_key").on(t.tenantId, t.periodStart, t.userId, t.apiKeyId, t.feature).nullsNotDistinct(),
    index("usage_actor_rollups_user_idx").on(t.tenantId, t.userId, t.periodStart),
  ],
);
export type UsageActorRollup = typeof usageActorRollups.$inferSelect;
export type NewUsageActorRollup = typeof usageActorRollups.$inferInsert;

/** Per tenant, member, billing period and day: a member's own usage by day. Events with no member are not here. */
export const usageMemberDays = pgTable(
  "usage_member_days",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull(),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    day: date("day", { mode: "string" }).notNull(),
    requests: integer("requests").notNull(),
    errors: integer("errors").notNull(),
    inputTokens: micros("input_tokens").notNull(),
    outputTokens: micros("output_tokens").notNull(),
    costMicroUsd: micros("cost_micro_usd").notNull(),
    savedMicroUsd: micros("saved_micro_usd").notNull(),
    cacheHits: integer("cache_hits").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId, t.periodStart, t.day] })],
);
export type UsageMemberDay = typeof usageMemberDays.$inferSelect;

/** Events that arrived after their own month was closed, and the period that billed them instead. */
export const usageLateEvents = pgTable(
  "usage_late_events",
  {
    eventId: uuid("event_id")
      .primaryKey()
      .references(() => usageEvents.id, { onDelete: "cascade" }),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    ownPeriod: date("own_period", { mode: "string" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("usage_late_events_period_idx").on(t.tenantId, t.periodStart)],
);
export type UsageLateEvent = typeof usageLateEvents.$inferSelect;

/** A closed billing period: its totals when closed. Never updated or deleted (grants, migration 0013). */
export const billingPeriods = pgTable(
  "billing_periods",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    closedAt: timestamp("closed_at", { withTimezone: true }).notNull().defaultNow(),
    requests: micros("requests").notNull(),
    inputTokens: micros("input_tokens").notNull(),
    outputTokens: micros("output_tokens").notNull(),
    costMicroUsd: micros("cost_micro_usd").notNull(),
    savedMicroUsd: micros("saved_micro_usd").notNull(),
    /** The sum of the lines' cent amounts: what the invoice says. */
    amountCents: micros("amount_cents").notNull(),
    lateRequests: micros("late_requests").notNull(),
    lateCostMicroUsd: micros("late_cost_micro_usd").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.periodStart] })],
);
export type BillingPeriod = typeof billingPeriods.$inferSelect;

/** A closed period's invoice lines, one per provider, model and feature. Never updated or deleted. */
export const billingLines = pgTable(
  "billing_lines",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    feature: text("feature").notNull(),
    requests: micros("requests").notNull(),
    inputTokens: micros("input_tokens").notNull(),
    outputTokens: micros("output_tokens").notNull(),
    costMicroUsd: micros("cost_micro_usd").notNull(),
    savedMicroUsd: micros("saved_micro_usd").notNull(),
    amountCents: micros("amount_cents").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.periodStart, t.provider, t.model, t.feature] })],
);
export type BillingLine = typeof billingLines.$inferSelect;
