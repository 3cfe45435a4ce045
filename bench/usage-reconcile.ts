// After a load run: do the usage events, the quota's period counters and every usage rollup agree,
// exactly, with each other and with what the clients were told? Read in the tenant's own scope
// (withTenant, row-level security), once the server has stopped and its meter has flushed.
import { sql } from "drizzle-orm";
import { z } from "zod";
import { rawRows } from "../db/raw-rows";
import { withTenant } from "../db/scope";
import type { Usage } from "./api-load";

export interface Reconciliation {
  name: string;
  /** What the check compares, each side named. */
  left: { label: string; value: number };
  right: { label: string; value: number };
  ok: boolean;
}

// Sums come back as numeric strings (bigint); coalesce keeps empty tables at 0.
const count = z.coerce.number();
const figuresSchema = z.object({
  events: count,
  event_input: count,
  event_output: count,
  event_cost: count,
  event_errors: count,
  quota_used_tokens: count,
  quota_used_micro_usd: count,
  quota_reserved_tokens: count,
  quota_reserved_micro_usd: count,
  reservations: count,
  rollup_requests: count,
  rollup_input: count,
  rollup_output: count,
  rollup_cost: count,
  actor_requests: count,
  actor_input: count,
  actor_output: count,
  actor_cost: count,
  provider_day_requests: count,
  provider_day_input: count,
  provider_day_output: count,
  provider_day_cost: count,
  recent_requests: count,
  recent_input: count,
  recent_output: count,
  recent_cost: count,
});
type Figures = z.infer<typeof figuresSchema>;

async function readFigures(tenantId: string): Promise<Figures> {
  const rows = await withTenant(tenantId, (tx) =>
    rawRows<unknown>(
      tx,
      sql`select
        (select count(*) from usage_events where tenant_id = ${tenantId}) as events,
        (select coalesce(sum(input_tokens), 0) from usage_events where tenant_id = ${tenantId}) as event_input,
        (select coalesce(sum(output_tokens), 0) from usage_events where tenant_id = ${tenantId}) as event_output,
        (select coalesce(sum(cost_micro_usd), 0) from usage_events where tenant_id = ${tenantId}) as event_cost,
        (select count(*) from usage_events where tenant_id = ${tenantId} and status <> 'ok') as event_errors,
        (select coalesce(sum(used_tokens), 0) from quota_periods where tenant_id = ${tenantId}) as quota_used_tokens,
        (select coalesce(sum(used_micro_usd), 0) from quota_periods where tenant_id = ${tenantId}) as quota_used_micro_usd,
        (select coalesce(sum(reserved_tokens), 0) from quota_periods where tenant_id = ${tenantId}) as quota_reserved_tokens,
        (select coalesce(sum(reserved_micro_usd), 0) from quota_periods where tenant_id = ${tenantId}) as quota_reserved_micro_usd,
        (select count(*) from quota_reservations where tenant_id = ${tenantId}) as reservations,
        (select coalesce(sum(requests), 0) from usage_rollups where tenant_id = ${tenantId}) as rollup_requests,
        (select coalesce(sum(input_tokens), 0) from usage_rollups where tenant_id = ${tenantId}) as rollup_input,
        (select coalesce(sum(output_tokens), 0) from usage_rollups where tenant_id = ${tenantId}) as rollup_output,
        (select coalesce(sum(cost_micro_usd), 0) from usage_rollups where tenant_id = ${tenantId}) as rollup_cost,
        (select coalesce(sum(requests), 0) from usage_actor_rollups where tenant_id = ${tenantId}) as actor_requests,
        (select coalesce(sum(input_tokens), 0) from usage_actor_rollups where tenant_id = ${tenantId}) as actor_input,
        (select coalesce(sum(output_tokens), 0) from usage_actor_rollups where tenant_id = ${tenantId}) as actor_output,
        (select coalesce(sum(cost_micro_usd), 0) from usage_actor_rollups where tenant_id = ${tenantId}) as actor_cost,
        (select coalesce(sum(requests), 0) from usage_provider_days where tenant_id = ${tenantId}) as provider_day_requests,
        (select coalesce(sum(input_tokens), 0) from usage_provider_days where tenant_id = ${tenantId}) as provider_day_input,
        (select coalesce(sum(output_tokens), 0) from usage_provider_days where tenant_id = ${tenantId}) as provider_day_output,
        (select coalesce(sum(cost_micro_usd), 0) from usage_provider_days where tenant_id = ${tenantId}) as provider_day_cost,
        (select coalesce(sum(requests), 0) from usage_recent_rollups where tenant_id = ${tenantId}) as recent_requests,
        (select coalesce(sum(input_tokens), 0) from usage_recent_rollups where tenant_id = ${tenantId}) as recent_input,
        (select coalesce(sum(output_tokens), 0) from usage_recent_rollups where tenant_id = ${tenantId}) as recent_output,
        (select coalesce(sum(cost_micro_usd), 0) from usage_recent_rollups where tenant_id = ${tenantId}) as recent_cost`,
    ),
  );
  return figuresSchema.parse(rows[0]);
}

/**
 * Every check, passed or not. `answered` is what the clients saw: the answers they counted whole
 * and the usage those answers reported (the usage chunk of a stream, `usage` of a completion).
 */
export async function reconcileUsage(tenantId: string, answered: { calls: number; usage: Usage }): Promise<Reconciliation[]> {
  const f = await readFigures(tenantId);
  const eventTokens = f.event_input + f.event_output;
  const check = (name: string, left: [string, number], right: [string, number]): Reconciliation => ({
    name,
    left: { label: left[0], value: left[1] },
    right: { label: right[0], value: right[1] },
    ok: left[1] === right[1],
  });
  return [
    check("events = answers", ["usage events", f.events], ["answers the clients counted", answered.calls]),
    check("no failed events", ["events not ok", f.event_errors], ["expected", 0]),
    check("event prompt tokens = answers'", ["event input tokens", f.event_input], ["answers' prompt tokens", answered.usage.promptTokens]),
    check("event completion tokens = answers'", ["event output tokens", f.event_output], ["answers' completion tokens", answered.usage.completionTokens]),
    check("quota used tokens = events", ["quota period used_tokens", f.quota_used_tokens], ["event tokens", eventTokens]),
    check("quota used cost = events", ["quota period used_micro_usd", f.quota_used_micro_usd], ["event cost (µ$)", f.event_cost]),
    check(
      "no reservation left",
      ["reserved tokens + open reservations", f.quota_reserved_tokens + f.quota_reserved_micro_usd + f.reservations],
      ["expected", 0],
    ),
    ...(
      [
        ["usage_rollups", f.rollup_requests, f.rollup_input + f.rollup_output, f.rollup_cost],
        ["usage_actor_rollups", f.actor_requests, f.actor_input + f.actor_output, f.actor_cost],
        ["usage_provider_days", f.provider_day_requests, f.provider_day_input + f.provider_day_output, f.provider_day_cost],
        ["usage_recent_rollups", f.recent_requests, f.recent_input + f.recent_output, f.recent_cost],
      ] as const
    ).flatMap(([table, requests, tokens, cost]) => [
      check(`${table} requests = events`, [`${table} requests`, requests], ["usage events", f.events]),
      check(`${table} tokens = quota used`, [`${table} tokens`, tokens], ["quota period used_tokens", f.quota_used_tokens]),
      check(`${table} cost = events`, [`${table} cost (µ$)`, cost], ["event cost (µ$)", f.event_cost]),
    ]),
  ];
}
