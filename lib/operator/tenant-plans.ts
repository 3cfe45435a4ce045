// What operators see and do across tenants: every tenant with its plan and this month's usage, and
// plan changes. Both are cross-tenant work, so both run on the system path with a reason.
import { and, asc, eq, sql } from "drizzle-orm";
import { memberships, quotaPeriods, tenantAiSettings, tenants, type PlanTier } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { applyLimitsToCurrentPeriod } from "@/lib/ai/period-limits";
import { effectiveLimit, planAllowances } from "@/lib/ai/plans";
import { currentPeriod } from "@/lib/ai/quota-period";
import type { OperatorContext } from "@/lib/auth/operator";
import { KeelError } from "@/lib/errors";
import { recordAudit } from "@/lib/tenancy/audit";

export interface TenantOverview {
  id: string;
  name: string;
  slug: string;
  plan: PlanTier;
  createdAt: Date;
  members: number;
  usedTokens: number;
  usedMicroUsd: number;
  /** The limits in force this month: the current period's, or what it will open with. */
  tokenLimit: number | null;
  microUsdLimit: number | null;
}

export const OPERATOR_PAGE_SIZE = 500;

export function listTenantsForOperator(_operator: OperatorContext, now = new Date()): Promise<TenantOverview[]> {
  return withSystem("operator page: every tenant with its plan and this month's usage", async (tx) => {
    const rows = await tx
      .select({
        id: tenants.id,
        name: tenants.name,
        slug: tenants.slug,
        plan: tenants.plan,
        createdAt: tenants.createdAt,
        members: sql<number>`(select count(*) from ${memberships} where ${memberships.tenantId} = ${tenants.id})::int`,
        usedTokens: quotaPeriods.usedTokens,
        usedMicroUsd: quotaPeriods.usedMicroUsd,
        periodOpen: sql<boolean>`${quotaPeriods.tenantId} is not null`,
        tokenLimit: quotaPeriods.tokenLimit,
        microUsdLimit: quotaPeriods.microUsdLimit,
        ownTokenLimit: tenantAiSettings.monthlyTokenLimit,
        ownMicroUsdLimit: tenantAiSettings.monthlyMicroUsdLimit,
      })
      .from(tenants)
      .leftJoin(tenantAiSettings, eq(tenantAiSettings.tenantId, tenants.id))
      .leftJoin(quotaPeriods, and(eq(quotaPeriods.tenantId, tenants.id), eq(quotaPeriods.periodStart, currentPeriod(now).start)))
      .orderBy(asc(tenants.name), asc(tenants.slug))
      // One page for now; a deployment with more tenants needs search and paging here.
      .limit(OPERATOR_PAGE_SIZE);
    return rows.map(({ periodOpen, ownTokenLimit, ownMicroUsdLimit, ...row }) => {
      const allowance = planAllowances[row.plan];
      return {
        ...row,
        members: Number(row.members),
        usedTokens: row.usedTokens ?? 0,
        usedMicroUsd: row.usedMicroUsd ?? 0,
        tokenLimit: periodOpen ? row.tokenLimit : effectiveLimit(ownTokenLimit, allowance.monthlyTokens),
        microUsdLimit: periodOpen ? row.microUsdLimit : effectiveLimit(ownMicroUsdLimit, allowance.monthlyMicroUsd),
      };
    });
  });
}

/**
 * Changes a tenant's plan, audited in the tenant's own log (who, from, to), and applies the new
 * plan's allowance to the current period at once (every process drops its cached profile).
 */
export async function changeTenantPlan(operator: OperatorContext, tenantId: string, plan: PlanTier): Promise<{ from: PlanTier; to: PlanTier }> {
  return withSystem("operator: change a tenant's plan", async (tx) => {
    const [current] = await tx.select({ plan: tenants.plan }).from(tenants).where(eq(tenants.id, tenantId)).for("update");
    if (!current) throw new KeelError("not_found", "That workspace does not exist.");
    if (current.plan === plan) return { from: plan, to: plan };
    await tx.update(tenants).set({ plan }).where(eq(tenants.id, tenantId));
    await recordAudit(tx, {
      tenantId,
      actorUserId: operator.userId,
      action: "tenant.plan_changed",
      targetType: "tenant",
      targetId: tenantId,
      metadata: { from: current.plan, to: plan, operatorEmail: operator.email },
    });
    await applyLimitsToCurrentPeriod(tx, tenantId);
    return { from: current.plan, to: plan };
  });
}
