// The gateway's state: tenant AI settings, quotas with reservations, metering, caches, API keys.
// Money is stored in micro-USD (bigint) so totals reconcile exactly.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  vector,
} from "drizzle-orm/pg-core";
import { users } from "./auth";
import { tenants } from "./tenancy";

/** Fixed per deployment: every stored embedding (semantic cache, document chunks) has it. */
export const EMBEDDING_DIMENSIONS = 384;

const micros = (name: string) => bigint(name, { mode: "number" });

export const tenantAiSettings = pgTable("tenant_ai_settings", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  /** Null: the plan's default. */
  monthlyTokenLimit: micros("monthly_token_limit"),
  monthlyMicroUsdLimit: micros("monthly_micro_usd_limit"),
  memberMonthlyTokenCap: micros("member_monthly_token_cap"),
  softLimitPercent: integer("soft_limit_percent").notNull().default(80),
  downgradeAtSoftLimit: boolean("downgrade_at_soft_limit").notNull().default(false),
  warningWebhookUrl: text("warning_webhook_url"),
  /**
   * Signs each webhook delivery (Standard Webhooks: `whsec_` + base64 key). Kept as is because signing needs it; shown to the
   * tenant once, when created or rotated, and never read back into the UI or the gateway's cache.
   */
  warningWebhookSecret: text("warning_webhook_secret"),
  /** Rate limits of the OpenAI-compatible API (migration 0037); null: the plan's. */
  apiKeyRequestsPerMinute: integer("api_key_requests_per_minute"),
  apiKeyTokensPerMinute: micros("api_key_tokens_per_minute"),
  workspaceRequestsPerMinute: integer("workspace_requests_per_minute"),
  workspaceTokensPerMinute: micros("workspace_tokens_per_minute"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
export type TenantAiSettings = typeof tenantAiSettings.$inferSelect;
export type NewTenantAiSettings = typeof tenantAiSettings.$inferInsert;

/** One row per tenant and calendar month (UTC): limits in force, spend, and what is reserved. */
export const quotaPeriods = pgTable(
  "quota_periods",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    tokenLimit: micros("token_limit"),
    microUsdLimit: micros("micro_usd_limit"),
    memberTokenCap: micros("member_token_cap"),
    softLimitPercent: integer("soft_limit_percent").notNull().default(80),
    usedTokens: micros("used_tokens").notNull().default(0),
    usedMicroUsd: micros("used_micro_usd").notNull().default(0),
    reservedTokens: micros("reserved_tokens").notNull().default(0),
    reservedMicroUsd: micros("reserved_micro_usd").notNull().default(0),
    softWarnedAt: timestamp("soft_warned_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.periodStart] })],
);
export type QuotaPeriod = typeof quotaPeriods.$inferSelect;
export type NewQuotaPeriod = typeof quotaPeriods.$inferInsert;

export const memberQuotaPeriods = pgTable(
  "member_quota_periods",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    usedTokens: micros("used_tokens").notNull().default(0),
    reservedTokens: micros("reserved_tokens").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId, t.periodStart] })],
);
export type MemberQuotaPeriod = typeof memberQuotaPeriods.$inferSelect;
export type NewMemberQuotaPeriod = typeof memberQuotaPeriods.$inferInsert;

/** An estimate held against the quota while a call runs; settled or released exactly once. */
export const quotaReservations = pgTable(
  "quota_reservations",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    userId: uuid("user_id"),
    tokens: micros("tokens").notNull(),
    microUsd: micros("micro_usd").notNull(),
    /** Also charged to the member's cap: settlement and the sweep release it there too. */
    memberCharged: boolean("member_charged").notNull().default(false),
    // The call it was made for, so the sweep can bill a call whose usage record never arrived.
    requestId: text("request_id"),
    feature: text("feature"),
    role: text("role"),
    provider: text("provider"),
    model: text("model"),
    apiKeyId: uuid("api_key_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** A crashed process never settles: past this time the sweep bills the call at its estimate. */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("quota_reservations_expiry_idx").on(t.expiresAt)],
);
export type QuotaReservation = typeof quotaReservations.$inferSelect;
export type NewQuotaReservation = typeof quotaReservations.$inferInsert;

export const cacheStatuses = ["miss", "exact", "semantic", "bypass"] as const;
export type CacheStatus = (typeof cacheStatuses)[number];
export const cacheStatus = pgEnum("cache_status", cacheStatuses);

export const callStatuses = ["ok", "partial", "error"] as const;
export type CallStatus = (typeof callStatuses)[number];
export const callStatus = pgEnum("call_status", callStatuses);

export const validationOutcomes = ["pass", "repaired", "failed"] as const;
export type ValidationOutcome = (typeof validationOutcomes)[number];
export const validationOutcome = pgEnum("validation_outcome", validationOutcomes);

export const priceTiers = ["standard", "batch"] as const;
export type PriceTier = (typeof priceTiers)[number];

/** One row per model call (append-only); `request_id` makes writes idempotent. */
export const usageEvents = pgTable(
  "usage_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    requestId: text("request_id").notNull(),
    userId: uuid("user_id"),
    apiKeyId: uuid("api_key_id"),
    feature: text("feature").notNull(),
    role: text("role").notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    costMicroUsd: micros("cost_micro_usd").notNull(),
    savedMicroUsd: micros("saved_micro_usd").notNull().default(0),
    latencyMs: integer("latency_ms").notNull(),
    timeToFirstTokenMs: integer("time_to_first_token_ms"),
    cacheStatus: cacheStatus("cache_status").notNull(),
    fallbackCount: integer("fallback_count").notNull().default(0),
    attempts: integer("attempts").notNull().default(1),
    status: callStatus("status").notNull(),
    errorCode: text("error_code"),
    validation: validationOutcome("validation"),
    /** "batch" when a provider's batch API (about half price) served the call. */
    priceTier: text("price_tier").$type<PriceTier>().notNull().default("standard"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("usage_events_request_idx").on(t.tenantId, t.requestId),
    index("usage_events_tenant_created_idx").on(t.tenantId, t.createdAt),
    check("usage_events_price_tier_check", sql`${t.priceTier} IN ('standard', 'batch')`),
  ],
);
export type UsageEvent = typeof usageEvents.$inferSelect;
export type NewUsageEvent = typeof usageEvents.$inferInsert;

/** What a cached call answered; replayed as-is on a hit. */
export interface CachedCompletion {
  text: string;
  finishReason: string;
  inputTokens: number;
  outputTokens: number;
  provider: string;
  model: string;
}

export const aiExactCache = pgTable(
  "ai_exact_cache",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    completion: jsonb("completion").$type<CachedCompletion>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** The retrieved chunks the answer was built on: deleting one drops the answer. */
    contextChunkIds: uuid("context_chunk_ids").array(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] }), index("ai_exact_cache_expiry_idx").on(t.expiresAt)],
);
export type AiExactCacheEntry = typeof aiExactCache.$inferSelect;
export type NewAiExactCacheEntry = typeof aiExactCache.$inferInsert;

export const aiSemanticCache = pgTable(
  "ai_semantic_cache",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** sha256 of role, model, prompt version, system prompt and retrieved chunk ids. */
    scopeKey: text("scope_key").notNull(),
    embedding: vector("embedding", { dimensions: EMBEDDING_DIMENSIONS }).notNull(),
    completion: jsonb("completion").$type<CachedCompletion>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    contextChunkIds: uuid("context_chunk_ids").array(),
  },
  (t) => [
    index("ai_semantic_cache_scope_idx").on(t.tenantId, t.scopeKey),
    index("ai_semantic_cache_embedding_idx").using("hnsw", t.embedding.op("vector_cosine_ops")),
  ],
);
export type AiSemanticCacheEntry = typeof aiSemanticCache.$inferSelect;
export type NewAiSemanticCacheEntry = typeof aiSemanticCache.$inferInsert;

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The first characters of the key, shown in lists so people can tell keys apart. */
    prefix: text("prefix").notNull(),
    /** sha256 of the whole key; the key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.keyHash), index("api_keys_tenant_idx").on(t.tenantId)],
);
export type ApiKey = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;

/** In-app notices for a tenant (quota warnings). */
export const tenantNotices = pgTable(
  "tenant_notices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    message: text("message").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    dismissedAt: timestamp("dismissed_at", { withTimezone: true }),
  },
  (t) => [index("tenant_notices_tenant_idx").on(t.tenantId, t.createdAt)],
);
export type TenantNotice = typeof tenantNotices.$inferSelect;
export type NewTenantNotice = typeof tenantNotices.$inferInsert;
