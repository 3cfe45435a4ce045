// Closing billing periods: each past month gets an immutable snapshot (billing_periods and its
// billing_lines) taken from the rollups. After that the month never changes: usage events dated in
// it that arrive later are billed in the first open period instead (the rollup trigger, migration
// 0013, decides that under the same per-tenant lock, so nothing slips in between).
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
import { addMonths, periodOf } from "./periods";

/** The advisory lock namespace shared with keel_roll_up_usage (db/functions). */
const BILLING_LOCK_NAMESPACE = 7_204_113;

/**
 * Closes every open period of the tenant up to and including `through` (first day of a month), in
 * order, months without usage included (an invoice of zero). Returns the periods it closed.
 * Refuses the current month and later: they are still being billed.
 */
export async function closeTenantPeriods(tenantId: string, through: string, options: { db?: Db; now?: Date } = {}): Promise<string[]> {
  if (through >= periodOf(options.now ?? new Date())) throw new Error(`Cannot close ${through}: the period is not over`);
  return withSystem(
    "billing: close a tenant's past periods",
    async (tx) => {
      // Waits for batches of events in flight (they hold the lock shared) and holds new ones off
      // until this snapshot commits; they then see the period closed.
      await tx.execute(sql`select pg_advisory_xact_lock(${BILLING_LOCK_NAMESPACE}, keel_billing_lock_key(${tenantId}::uuid))`);
      const rows = await rawRows<{ period_start: string }>(
        tx,
        sql`with bounds as (
              select coalesce(
                       (select (max(b.period_start) + interval '1 month')::date from billing_periods b where b.tenant_id = t.id),
                       least(date_trunc('month', t.created_at at time zone 'UTC')::date,
                             coalesce((select min(r.period_start) from usage_rollups r where r.tenant_id = t.id),
                                      date_trunc('month', t.created_at at time zone 'UTC')::date))) as first_period
              from tenants t where t.id = ${tenantId}::uuid
            ), months as (
              select g::date as period_start from bounds, generate_series(bounds.first_period, ${through}::date, interval '1 month') g
            ), lines as (
              insert into billing_lines (tenant_id, period_start, provider, model, feature, requests, input_tokens, output_tokens,
                                         cost_micro_usd, saved_micro_usd, amount_cents)
              select r.tenant_id, r.period_start, r.provider, r.model, r.feature, sum(r.requests), sum(r.input_tokens), sum(r.output_tokens),
                     sum(r.cost_micro_usd), sum(r.saved_micro_usd), (sum(r.cost_micro_usd)::bigint + 5000) / 10000
              from usage_rollups r join months m on m.period_start = r.period_start
              where r.tenant_id = ${tenantId}::uuid
              group by r.tenant_id, r.period_start, r.provider, r.model, r.feature
              returning period_start, requests, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, amount_cents
            ), late as (
              select l.period_start, count(*) as requests, sum(e.cost_micro_usd) as cost_micro_usd
              from usage_late_events l join usage_events e on e.id = l.event_id join months m on m.period_start = l.period_start
              where l.tenant_id = ${tenantId}::uuid
              group by l.period_start
            )
            insert into billing_periods (tenant_id, period_start, requests, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd,
                                         amount_cents, late_requests, late_cost_micro_usd)
            select ${tenantId}::uuid, m.period_start, coalesce(sum(l.requests), 0), coalesce(sum(l.input_tokens), 0), coalesce(sum(l.output_tokens), 0),
                   coalesce(sum(l.cost_micro_usd), 0), coalesce(sum(l.saved_micro_usd), 0), coalesce(sum(l.amount_cents), 0),
                   coalesce(max(late.requests), 0), coalesce(max(late.cost_micro_usd), 0)
            from months m left join lines l on l.period_start = m.period_start left join late on late.period_start = m.period_start
            group by m.period_start
            order by m.period_start
            returning period_start::text`,
      );
      return rows.map((r) => r.period_start);
    },
    options,
  );
}

/**
 * The daily cron: closes last month (and any earlier month still open) for every tenant that has
 * one due. Each tenant in a transaction of its own, so one tenant's lock never holds up another.
 */
export async function closeDueBillingPeriods(now = new Date(), options: { db?: Db } = {}): Promise<{ tenants: number; periods: number }> {
  const through = addMonths(periodOf(now), -1);
  const due = await withSystem(
    "cron: find tenants with a billing period to close",
    (tx) =>
      rawRows<{ id: string }>(
        tx,
        sql`select t.id from tenants t
            where not exists (select 1 from billing_periods b where b.tenant_id = t.id and b.period_start >= ${through}::date)
              and (date_trunc('month', t.created_at at time zone 'UTC')::date <= ${through}::date
                   or exists (select 1 from usage_rollups r where r.tenant_id = t.id and r.period_start <= ${through}::date))
            order by t.id`,
      ),
    options,
  );
  let periods = 0;
  for (const { id } of due) periods += (await closeTenantPeriods(id, through, { ...options, now })).length;
  return { tenants: due.length, periods };
}
