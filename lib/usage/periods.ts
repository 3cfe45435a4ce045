// The periods the period picker offers: the current one, and every earlier one with usage (for a
// member, with their own usage). Distinct months are walked through the rollups' indexes, one
// index probe per month, never a scan of the tenant's rows.
import { sql } from "drizzle-orm";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import { periodOf } from "@/lib/billing/periods";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";

export async function listUsagePeriods(ctx: TenantContext, now = new Date()): Promise<string[]> {
  const own = !hasRole(ctx.role, "admin");
  const rows = await withTenant(
    ctx.tenantId,
    (tx) =>
      rawRows<{ period_start: string }>(
        tx,
        own
          ? sql`with recursive p(s) as (
                  select min(period_start) from usage_member_days where tenant_id = ${ctx.tenantId}::uuid and user_id = ${ctx.userId}::uuid
                  union all
                  select (select min(period_start) from usage_member_days
                          where tenant_id = ${ctx.tenantId}::uuid and user_id = ${ctx.userId}::uuid and period_start > p.s)
                  from p where p.s is not null)
                select s::text as period_start from p where s is not null`
          : sql`with recursive p(s) as (
                  select min(period_start) from usage_rollups where tenant_id = ${ctx.tenantId}::uuid
                  union all
                  select (select min(period_start) from usage_rollups where tenant_id = ${ctx.tenantId}::uuid and period_start > p.s)
                  from p where p.s is not null)
                select s::text as period_start from p where s is not null`,
      ),
    { userId: ctx.userId },
  );
  const periods = new Set([periodOf(now), ...rows.map((r) => r.period_start)]);
  return [...periods].sort().reverse();
}
