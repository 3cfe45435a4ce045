// The Usage page for owners and admins: one billing period of the tenant, every slice from the two
// rollups (by day/model/feature and by member/API key), so each figure is a sum of usage events.
// A handful of queries on the rollups' primary keys, whatever the number of events.
import { sql } from "drizzle-orm";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import { readInvoice, type Invoice } from "@/lib/billing/invoice";
import { daysOf, periodOf } from "@/lib/billing/periods";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import { addFigures, emptyFigures, figuresOf, groupFigures, tokensOf, type FigureColumns, type UsageFigures } from "./figures";
import { cumulativeSeries, project, type CumulativePoint, type Projection } from "./forecast";
import { readMemberCapUsage, readQuotaView, type MemberCapUsage, type QuotaView } from "./quota-view";

export interface DayUsage extends UsageFigures {
  day: string;
}

interface QualityCount {
  feature: string;
  model: string;
  pass: number;
  repaired: number;
  failed: number;
}

export interface AdminUsageReport {
  kind: "admin";
  periodStart: string;
  isCurrent: boolean;
  closed: boolean;
  /** The period's invoice (the snapshot once closed), as the CSV export has it. */
  invoice: Invoice;
  /** Every metered call, the offline model's included. */
  totals: UsageFigures;
  /** What counts against the plan's allowance: every call but the offline model's. */
  paid: UsageFigures;
  /** The offline model's calls: metered and shown, free, and not held to the allowance. */
  offline: UsageFigures;
  /** Every day of the period, zeros included. */
  byDay: DayUsage[];
  byModel: (UsageFigures & { provider: string; model: string })[];
  byFeature: (UsageFigures & { feature: string })[];
  /** Null userId: background work with no member behind it. Null name: a former member. */
  byMember: (UsageFigures & { userId: string | null; name: string | null })[];
  byApiKey: (UsageFigures & { apiKeyId: string; name: string | null; prefix: string | null; revoked: boolean })[];
  cache: { exact: number; semantic: number; savedMicroUsd: number; hitRate: number };
  /** Events dated in an earlier, closed period and billed in this one (already in the totals). */
  late: UsageFigures & { days: string[] };
  quality: QualityCount[];
  quota: QuotaView;
  memberCaps: MemberCapUsage[];
  /** Only for the current period. */
  forecast: { tokens: Projection; microUsd: Projection } | null;
  cumulative: { tokens: CumulativePoint[]; microUsd: CumulativePoint[] };
}

/** The offline model's rows: its calls never count against the allowance (the gateway reserves nothing for them). */
const isOffline = (row: { provider: string }) => row.provider === "offline";

function requireUsageAdmin(ctx: TenantContext): void {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "The workspace's usage is visible to owners and admins only.");
}

interface RollupRow extends FigureColumns {
  day: string;
  provider: string;
  model: string;
  feature: string;
  cache_exact: number;
  cache_semantic: number;
  validation_pass: number;
  validation_repaired: number;
  validation_failed: number;
}

interface ActorRow extends FigureColumns {
  user_id: string | null;
  api_key_id: string | null;
  user_name: string | null;
  key_name: string | null;
  key_prefix: string | null;
  key_revoked: boolean | null;
}

function qualityOf(rows: RollupRow[]): QualityCount[] {
  const counts = new Map<string, QualityCount>();
  for (const r of rows) {
    if (r.validation_pass + r.validation_repaired + r.validation_failed === 0) continue;
    const key = `${r.feature}\u0000${r.model}`;
    let count = counts.get(key);
    if (!count) counts.set(key, (count = { feature: r.feature, model: r.model, pass: 0, repaired: 0, failed: 0 }));
    count.pass += r.validation_pass;
    count.repaired += r.validation_repaired;
    count.failed += r.validation_failed;
  }
  return [...counts.values()].sort((a, b) => a.feature.localeCompare(b.feature) || a.model.localeCompare(b.model));
}

/** Per-day figures, zero-filled over the period; days before it (late events) apart. */
export function splitDays(periodStart: string, days: string[], rows: { day: string; figures: UsageFigures }[]) {
  const byDay = new Map(days.map((day) => [day, { day, ...emptyFigures() }]));
  const late = { ...emptyFigures(), days: [] as string[] };
  for (const { day, figures } of rows) {
    const slot = byDay.get(day);
    if (slot) addFigures(slot, figures);
    else if (day < periodStart) {
      addFigures(late, figures);
      if (!late.days.includes(day)) late.days.push(day);
    } else throw new Error(`Rollup day ${day} outside period ${periodStart}`);
  }
  late.days.sort();
  return { byDay: [...byDay.values()], late };
}

export async function getAdminUsageReport(ctx: TenantContext, periodStart: string, now = new Date()): Promise<AdminUsageReport> {
  requireUsageAdmin(ctx);
  const isCurrent = periodStart === periodOf(now);
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const rollups = await rawRows<RollupRow>(
        tx,
        sql`select day::text as day, provider, model, feature, requests, errors, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd,
                   cache_exact + cache_semantic as cache_hits, cache_exact, cache_semantic, validation_pass, validation_repaired, validation_failed
            from usage_rollups where tenant_id = ${ctx.tenantId}::uuid and period_start = ${periodStart}::date`,
      );
      const actors = await rawRows<ActorRow>(
        tx,
        sql`select a.user_id, a.api_key_id, u.name as user_name, k.name as key_name, k.prefix as key_prefix, k.revoked_at is not null as key_revoked,
                   sum(a.requests) as requests, sum(a.errors) as errors, sum(a.input_tokens) as input_tokens, sum(a.output_tokens) as output_tokens,
                   sum(a.cost_micro_usd) as cost_micro_usd, sum(a.saved_micro_usd) as saved_micro_usd, sum(a.cache_hits) as cache_hits
            from usage_actor_rollups a
            left join users u on u.id = a.user_id
            left join api_keys k on k.id = a.api_key_id
            where a.tenant_id = ${ctx.tenantId}::uuid and a.period_start = ${periodStart}::date
            group by a.user_id, a.api_key_id, u.name, k.name, k.prefix, k.revoked_at`,
      );
      const quota = await readQuotaView(tx, ctx.tenantId, periodStart, isCurrent, now);
      const memberCaps = quota.memberTokenCap === null ? [] : await readMemberCapUsage(tx, ctx.tenantId, periodStart);

      const rows = rollups.map((r) => ({ ...r, figures: figuresOf(r) }));
      // The invoice from the rows just read (or the closed period's snapshot): the page and the CSV use the same code.
      const invoice = await readInvoice(
        tx,
        ctx.tenantId,
        periodStart,
        rows.map((r) => ({ provider: r.provider, model: r.model, feature: r.feature, late: r.day < periodStart, ...r.figures })),
      );
      const totals = emptyFigures();
      const paid = emptyFigures();
      const offline = emptyFigures();
      for (const r of rows) {
        addFigures(totals, r.figures);
        addFigures(isOffline(r) ? offline : paid, r.figures);
      }
      const { byDay, late } = splitDays(periodStart, daysOf(periodStart), rows);
      const actorRows = actors.map((a) => ({ ...a, figures: figuresOf(a) }));

      const perDayTokens = new Map<string, number>();
      const perDayMicroUsd = new Map<string, number>();
      // The running totals and the forecast are of what counts against the allowance.
      for (const r of rows) {
        if (isOffline(r)) continue;
        perDayTokens.set(r.day, (perDayTokens.get(r.day) ?? 0) + tokensOf(r.figures));
        perDayMicroUsd.set(r.day, (perDayMicroUsd.get(r.day) ?? 0) + r.figures.costMicroUsd);
      }
      const pace = (used: number, limit: number | null) => project({ periodStart, now, used, limit, softLimitPercent: quota.softLimitPercent });

      return {
        kind: "admin" as const,
        periodStart,
        isCurrent,
        closed: invoice.status === "closed",
        invoice,
        totals,
        paid,
        offline,
        byDay,
        byModel: groupFigures(
          rows,
          (r) => `${r.provider}\u0000${r.model}`,
          (r) => ({ provider: r.provider, model: r.model }),
          (r) => r.figures,
        ),
        byFeature: groupFigures(
          rows,
          (r) => r.feature,
          (r) => ({ feature: r.feature }),
          (r) => r.figures,
        ),
        byMember: groupFigures(
          actorRows,
          (a) => a.user_id ?? "",
          (a) => ({ userId: a.user_id, name: a.user_name }),
          (a) => a.figures,
        ),
        byApiKey: groupFigures(
          actorRows.filter((a) => a.api_key_id !== null),
          (a) => a.api_key_id!,
          (a) => ({ apiKeyId: a.api_key_id!, name: a.key_name, prefix: a.key_prefix, revoked: a.key_revoked === true }),
          (a) => a.figures,
        ),
        cache: {
          exact: rows.reduce((sum, r) => sum + r.cache_exact, 0),
          semantic: rows.reduce((sum, r) => sum + r.cache_semantic, 0),
          savedMicroUsd: totals.savedMicroUsd,
          hitRate: totals.requests === 0 ? 0 : totals.cacheHits / totals.requests,
        },
        late,
        quality: qualityOf(rollups),
        quota,
        memberCaps,
        forecast: isCurrent ? { tokens: pace(tokensOf(paid), quota.tokenLimit), microUsd: pace(paid.costMicroUsd, quota.microUsdLimit) } : null,
        cumulative: {
          tokens: cumulativeSeries(periodStart, perDayTokens, now, isCurrent),
          microUsd: cumulativeSeries(periodStart, perDayMicroUsd, now, isCurrent),
        },
      };
    },
    { userId: ctx.userId },
  );
}
