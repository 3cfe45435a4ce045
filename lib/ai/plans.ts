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
