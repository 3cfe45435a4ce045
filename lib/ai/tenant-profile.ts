// What the gateway needs to know about a tenant before a call: plan tier, limits, and whether the
// soft limit was crossed this period. Cached briefly in memory: it is read on every call.
import { and, eq, sql } from "drizzle-orm";
import { quotaPeriods, tenantAiSettings, tenants, type PlanTier } from "@/db/schema";
import type { Tx } from "@/db/client";
import { effectiveLimit, effectiveRateLimits, planAllowances, type PlanAllowance, type RateLimits } from "./plans";
import { currentPeriod } from "./quota-period";

export interface TenantProfile {
  tenantId: string;
  plan: PlanTier;
  /** The limits in force: the tenant's own, bounded by its plan's allowance. */
  tokenLimit: number | null;
  microUsdLimit: number | null;
  memberTokenCap: number | null;
  softLimitPercent: number;
  downgradeAtSoftLimit: boolean;
  warningWebhookUrl: string | null;
  softLimitReached: boolean;
  /** The plan's allowance and what the tenant set (null: none), as Settings and Usage show them. */
  allowance: PlanAllowance;
  ownTokenLimit: number | null;
  ownMicroUsdLimit: number | null;
  /** Whether a webhook signing secret exists (the secret itself never leaves the database here). */
  webhookSecretSet: boolean;
  /** Rate limits of the OpenAI-compatible API in force, and what an admin set (null: the plan's). */
  rateLimits: RateLimits;
  ownRateLimits: Record<keyof RateLimits, number | null>;
}

export async function readTenantProfile(tx: Tx, tenantId: string, now = new Date()): Promise<TenantProfile> {
  const [row] = await tx
    .select({
      plan: tenants.plan,
      ownTokenLimit: tenantAiSettings.monthlyTokenLimit,
      ownMicroUsdLimit: tenantAiSettings.monthlyMicroUsdLimit,
      memberTokenCap: tenantAiSettings.memberMonthlyTokenCap,
      softLimitPercent: tenantAiSettings.softLimitPercent,
      downgradeAtSoftLimit: tenantAiSettings.downgradeAtSoftLimit,
      warningWebhookUrl: tenantAiSettings.warningWebhookUrl,
      webhookSecretSet: sql<boolean>`${tenantAiSettings.warningWebhookSecret} is not null`,
      softWarnedAt: quotaPeriods.softWarnedAt,
      keyRequestsPerMinute: tenantAiSettings.apiKeyRequestsPerMinute,
      keyTokensPerMinute: tenantAiSettings.apiKeyTokensPerMinute,
      workspaceRequestsPerMinute: tenantAiSettings.workspaceRequestsPerMinute,
      workspaceTokensPerMinute: tenantAiSettings.workspaceTokensPerMinute,
    })
    .from(tenants)
    .leftJoin(tenantAiSettings, eq(tenantAiSettings.tenantId, tenants.id))
    .leftJoin(quotaPeriods, and(eq(quotaPeriods.tenantId, tenants.id), eq(quotaPeriods.periodStart, currentPeriod(now).start)))
    .where(eq(tenants.id, tenantId));
  if (!row) throw new Error(`Tenant ${tenantId} not visible in its own context`);
  const allowance = planAllowances[row.plan];
  const ownTokenLimit = row.ownTokenLimit ?? null;
  const ownMicroUsdLimit = row.ownMicroUsdLimit ?? null;
  const ownRateLimits = {
    keyRequestsPerMinute: row.keyRequestsPerMinute ?? null,
    keyTokensPerMinute: row.keyTokensPerMinute ?? null,
    workspaceRequestsPerMinute: row.workspaceRequestsPerMinute ?? null,
    workspaceTokensPerMinute: row.workspaceTokensPerMinute ?? null,
  };
  return {
    tenantId,
    plan: row.plan,
    // Bounded here as well as when saved: a row written before plans bound tenants, or kept
    // after a downgrade, cannot lift the limit past the plan.
    tokenLimit: effectiveLimit(ownTokenLimit, allowance.monthlyTokens),
    microUsdLimit: effectiveLimit(ownMicroUsdLimit, allowance.monthlyMicroUsd),
    memberTokenCap: row.memberTokenCap ?? null,
    softLimitPercent: row.softLimitPercent ?? 80,
    downgradeAtSoftLimit: row.downgradeAtSoftLimit ?? false,
    warningWebhookUrl: row.warningWebhookUrl ?? null,
    softLimitReached: row.softWarnedAt !== null && row.softWarnedAt !== undefined,
    allowance,
    ownTokenLimit,
    ownMicroUsdLimit,
    webhookSecretSet: row.webhookSecretSet === true,
    rateLimits: effectiveRateLimits(row.plan, ownRateLimits),
    ownRateLimits,
  };
}
