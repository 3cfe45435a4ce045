// The Usage page for a member: their own calls and what is left of their personal allowance, read
// only from their own rows (the actor rollup filtered by their user id, their own cap row). Nothing
// of other members, nor the workspace's totals, is ever read on this path.
import { sql } from "drizzle-orm";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import { readTenantProfile } from "@/lib/ai/tenant-profile";
import { daysOf, periodOf } from "@/lib/billing/periods";
import type { TenantContext } from "@/lib/tenancy/context";
import { addFigures, emptyFigures, figuresOf, groupFigures, type FigureColumns, type UsageFigures } from "./figures";
import { readMemberCapUsage } from "./quota-view";
import { splitDays, type DayUsage } from "./report";

export interface MemberUsageReport {
  kind: "member";
  periodStart: string;
  isCurrent: boolean;
  totals: UsageFigures;
  byDay: DayUsage[];
  byFeature: (UsageFigures & { feature: string })[];
  late: UsageFigures & { days: string[] };
  /** The per-member cap in force and what the gateway has counted against it (null cap: none). */
  allowance: { cap: number | null; countedTokens: number; reservedTokens: number; remainingTokens: number | null };
}

export async function getMemberUsageReport(ctx: TenantContext, periodStart: string, now = new Date()): Promise<MemberUsageReport> {
  const isCurrent = periodStart === periodOf(now);
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const byFeatureRows = await rawRows<FigureColumns & { feature: string }>(
        tx,
        sql`select feature, sum(requests) as requests, sum(errors) as errors, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,
                   sum(cost_micro_usd) as cost_micro_usd, sum(saved_micro_usd) as saved_micro_usd, sum(cache_hits) as cache_hits
            from usage_actor_rollups
            where tenant_id = ${ctx.tenantId}::uuid and user_id = ${ctx.userId}::uuid and period_start = ${periodStart}::date
            group by feature`,
      );
      const dayRows = await rawRows<FigureColumns & { day: string }>(
        tx,
        sql`select day::text as day, requests, errors, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_hits
            from usage_member_days
            where tenant_id = ${ctx.tenantId}::uuid and user_id = ${ctx.userId}::uuid and period_start = ${periodStart}::date`,
      );
      const [period] = await rawRows<{ member_token_cap: string | number | null }>(
        tx,
        sql`select member_token_cap from quota_periods where tenant_id = ${ctx.tenantId}::uuid and period_start = ${periodStart}::date`,
      );
      const cap = period
        ? period.member_token_cap === null
          ? null
          : Number(period.member_token_cap)
        : isCurrent
          ? (await readTenantProfile(tx, ctx.tenantId, now)).memberTokenCap
          : null;
      const [own] = await readMemberCapUsage(tx, ctx.tenantId, periodStart, ctx.userId);
      const counted = own?.countedTokens ?? 0;
      const reserved = own?.reservedTokens ?? 0;

      const features = byFeatureRows.map((r) => ({ feature: r.feature, figures: figuresOf(r) }));
      const totals = emptyFigures();
      for (const r of features) addFigures(totals, r.figures);
      const { byDay, late } = splitDays(
        periodStart,
        daysOf(periodStart),
        dayRows.map((r) => ({ day: r.day, figures: figuresOf(r) })),
      );
      return {
        kind: "member" as const,
        periodStart,
        isCurrent,
        totals,
        byDay,
        byFeature: groupFigures(
          features,
          (r) => r.feature,
          (r) => ({ feature: r.feature }),
          (r) => r.figures,
        ),
        late,
        allowance: { cap, countedTokens: counted, reservedTokens: reserved, remainingTokens: cap === null ? null : Math.max(0, cap - counted - reserved) },
      };
    },
    { userId: ctx.userId },
  );
}
