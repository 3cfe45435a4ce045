// Monthly AI allowances per plan. A tenant's own settings (tenant_ai_settings) override them.
import type { PlanTier } from "@/db/schema";

export interface PlanAllowance {
  monthlyTokens: number | null;
  monthlyMicroUsd: number | null;
}

export const planAllowances: Record<PlanTier, PlanAllowance> = {
  free: { monthlyTokens: 500_000, monthlyMicroUsd: 5_000_000 },
  pro: { monthlyTokens: 20_000_000, monthlyMicroUsd: 200_000_000 },
  enterprise: { monthlyTokens: null, monthlyMicroUsd: null },
};
