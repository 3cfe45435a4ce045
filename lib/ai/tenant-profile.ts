// What the gateway needs to know about a tenant before a call: plan tier, limits, and whether the
// soft limit was crossed this period. Cached briefly in memory: it is read on every call.
import { and, eq } from "drizzle-orm";
import { quotaPeriods, tenantAiSettings, tenants, type PlanTier } from "@/db/schema";
import type { Tx } from "@/db/client";
import { planAllowances } from "./plans";
import { currentPeriod } from "./quota-period";

export interface TenantProfile {
  tenantId: string;
  plan: PlanTier;
  tokenLimit: number | null;
  microUsdLimit: number | null;
  memberTokenCap: number | null;
  softLimitPercent: number;
  downgradeAtSoftLimit: boolean;
  warningWebhookUrl: string | null;
  softLimitReached: boolean;
}

export async function readTenantProfile(tx: Tx, tenantId: string, now = new Date()): Promise<TenantProfile> {
  const [row] = await tx
    .select({ plan: tenants.plan, settings: tenantAiSettings, softWarnedAt: quotaPeriods.softWarnedAt })
    .from(tenants)
    .leftJoin(tenantAiSettings, eq(tenantAiSettings.tenantId, tenants.id))
    .leftJoin(quotaPeriods, and(eq(quotaPeriods.tenantId, tenants.id), eq(quotaPeriods.periodStart, currentPeriod(now).start)))
    .where(eq(tenants.id, tenantId));
  if (!row) throw new Error(`Tenant ${tenantId} not visible in its own context`);
  const allowance = planAllowances[row.plan];
  return {
    tenantId,
    plan: row.plan,
    tokenLimit: row.settings?.monthlyTokenLimit ?? allowance.monthlyTokens,
    microUsdLimit: row.settings?.monthlyMicroUsdLimit ?? allowance.monthlyMicroUsd,
    memberTokenCap: row.settings?.memberMonthlyTokenCap ?? null,
    softLimitPercent: row.settings?.softLimitPercent ?? 80,
    downgradeAtSoftLimit: row.settings?.downgradeAtSoftLimit ?? false,
    warningWebhookUrl: row.settings?.warningWebhookUrl ?? null,
    softLimitReached: row.softWarnedAt !== null && row.softWarnedAt !== undefined,
  };
}
