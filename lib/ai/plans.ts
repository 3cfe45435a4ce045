// Monthly AI allowances per plan. A tenant may set its own, lower limits (tenant_ai_settings), never
// higher ones: the limit in force is the lower of the two. Plans are changed by operators only.
import type { PlanTier } from "@/db/schema";

export interface PlanAllowance {
  /** Null: no limit from the plan. */
  monthlyTokens: number | null;
  monthlyMicroUsd: number | null;
}

// Migration 0006 bounded the quota periods open at the time with these figures.
export const planAllowances: Record<PlanTier, PlanAllowance> = {
  free: { monthlyTokens: 500_000, monthlyMicroUsd: 5_000_000 },
  pro: { monthlyTokens: 20_000_000, monthlyMicroUsd: 200_000_000 },
  enterprise: { monthlyTokens: null, monthlyMicroUsd: null },
};

/** The limit in force: the tenant's own if it set one, never above the plan's (null: unlimited). */
export function effectiveLimit(own: number | null, allowance: number | null): number | null {
  if (allowance === null) return own;
  if (own === null) return allowance;
  return Math.min(own, allowance);
}

/** Requests and tokens per minute on the OpenAI-compatible API, for each key and for the workspace. */
export interface RateLimits {
  keyRequestsPerMinute: number;
  keyTokensPerMinute: number;
  workspaceRequestsPerMinute: number;
  workspaceTokensPerMinute: number;
}

export const rateLimitNames = ["keyRequestsPerMinute", "keyTokensPerMinute", "workspaceRequestsPerMinute", "workspaceTokensPerMinute"] as const;

export const rateLimitLabels: Record<keyof RateLimits, string> = {
  keyRequestsPerMinute: "API requests per minute, per key",
  keyTokensPerMinute: "API tokens per minute, per key",
  workspaceRequestsPerMinute: "API requests per minute, workspace",
  workspaceTokensPerMinute: "API tokens per minute, workspace",
};

/**
 * Each plan's rate limits. An admin may set lower ones in Settings; on enterprise, whose monthly
 * allowance is unbounded too, also higher ones (`capped: false`).
 */
export const planRateLimits: Record<PlanTier, { limits: RateLimits; capped: boolean }> = {
  free: { limits: { keyRequestsPerMinute: 60, keyTokensPerMinute: 100_000, workspaceRequestsPerMinute: 120, workspaceTokensPerMinute: 200_000 }, capped: true },
  pro: {
    limits: { keyRequestsPerMinute: 1_000, keyTokensPerMinute: 2_000_000, workspaceRequestsPerMinute: 3_000, workspaceTokensPerMinute: 6_000_000 },
    capped: true,
  },
  enterprise: {
    limits: { keyRequestsPerMinute: 10_000, keyTokensPerMinute: 20_000_000, workspaceRequestsPerMinute: 30_000, workspaceTokensPerMinute: 60_000_000 },
    capped: false,
  },
};

/** The limits in force: what an admin set, else the plan's; bounded by the plan where it caps them. */
export function effectiveRateLimits(plan: PlanTier, own: Partial<Record<keyof RateLimits, number | null>>): RateLimits {
  const { limits, capped } = planRateLimits[plan];
  const pick = (name: keyof RateLimits) => {
    const set = own[name] ?? null;
    if (set === null) return limits[name];
    return capped ? Math.min(set, limits[name]) : set;
  };
  return {
    keyRequestsPerMinute: pick("keyRequestsPerMinute"),
    keyTokensPerMinute: pick("keyTokensPerMinute"),
    workspaceRequestsPerMinute: pick("workspaceRequestsPerMinute"),
    workspaceTokensPerMinute: pick("workspaceTokensPerMinute"),
  };
}
