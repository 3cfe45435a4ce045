// Atomic quota accounting. Before a call: reserve an estimate in one conditional UPDATE, so
// concurrent calls (any number of app processes) can never jointly pass the hard limit. After:
// the meter settles the actual amount, or releases on failure — each reservation exactly once.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { CachedCompletion } from "@/db/schema";
import type { Db } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { callTenantFunction, withSystem } from "@/db/scope";
import { vectorLiteral } from "./cache";
import { GatewayError } from "./errors";
import { currentPeriod } from "./quota-period";
import type { TenantProfile } from "./tenant-profile";
import type { ModelRole, ProviderName, Reservation } from "./types";

export type Admission =
  | { kind: "hit"; status: "exact" | "semantic"; completion: CachedCompletion }
  /** reservation: null when nothing was reserved (a call that spends no allowance). */
  | { kind: "admitted"; reservation: Reservation | null };

export interface AdmitInput {
  profile: TenantProfile;
  userId: string | null;
  /** The exact-cache key to look up first, or null to skip the exact cache. */
  exactKey: string | null;
  /** A semantic lookup after that, or null. */
  semantic: { scopeKey: string; embedding: readonly number[]; threshold: number } | null;
  /** The estimate to reserve on a miss. */
  tokens: number;
  microUsd: number;
  now: Date;
  ttlMs: number;
  /**
   * Whether the call spends the plan's allowance. False for calls only the offline model can serve:
   * they are admitted after the cache lookups with nothing reserved (their usage is still metered).
   * Default true.
   */
  charge?: boolean;
  /** The call being admitted: the sweep bills it under these if its usage record never arrives. */
  call: { requestId: string; feature: string; role: ModelRole; provider: ProviderName; model: string; apiKeyId: string | null };
}

interface AdmitRow {
  outcome: "exact" | "semantic" | "admitted" | "refused" | "refused_member";
  completion: CachedCompletion | string | null;
  member_charged: boolean;
  refused_limit: "tokens" | "usd" | null;
}

/**
 * Before a model call, in one round trip (keel_admit, db/functions): a cached answer if there is
 * one (spending no quota), else a reservation of the estimate made by one conditional UPDATE, so
 * concurrent calls from any number of processes can never jointly pass the hard limit. A refusal
 * throws a 402-mapped GatewayError that names the limit and when it resets.
 */
export async function admit(input: AdmitInput, options: { db?: Db } = {}): Promise<Admission> {
  const { start, resetsAt } = currentPeriod(input.now);
  const { profile } = input;
  const reservationId = randomUUID();
  const expiresAt = new Date(input.now.getTime() + input.ttlMs).toISOString();
  const reservation: Reservation = {
    id: reservationId,
    tenantId: profile.tenantId,
    periodStart: start,
    userId: input.userId,
    tokens: input.tokens,
    microUsd: input.microUsd,
    // What keel_admit decides when it reserves: a member cap is charged when there is one and a user.
    memberCharged: input.userId !== null && profile.memberTokenCap !== null,
  };
  const [row] = await callTenantFunction<AdmitRow>(
    "keel_admit",
    profile.tenantId,
    [
      [input.userId, "uuid"],
      [input.exactKey, "text"],
      [input.semantic?.scopeKey ?? null, "text"],
      [input.semantic ? vectorLiteral(input.semantic.embedding) : null, "vector"],
      [input.semantic?.threshold ?? null, "float8"],
      [reservationId, "uuid"],
      [input.tokens, "bigint"],
      [input.microUsd, "bigint"],
      [expiresAt, "timestamptz"],
      [start, "date"],
      [profile.tokenLimit, "bigint"],
      [profile.microUsdLimit, "bigint"],
      [profile.memberTokenCap, "bigint"],
      [profile.softLimitPercent, "int"],
      [input.call.requestId, "text"],
      [input.call.feature, "text"],
      [input.call.role, "text"],
      [input.call.provider, "text"],
      [input.call.model, "text"],
      [input.call.apiKeyId, "uuid"],
      [input.charge ?? true, "boolean"],
    ],
    options,
  ).catch((error: unknown) => {
    // The database may have committed the reservation before the connection failed: whoever
    // called must release it (through the meter, once the database is back), or the sweep would
    // later bill a call that never ran.
    throw new GatewayError("service_unavailable", "Keel could not reach its database to admit this call. Please try again shortly.", {
      cause: error,
      pendingReservation: reservation,
    });
  });
  switch (row?.outcome) {
    case "exact":
    case "semantic":
      return { kind: "hit", status: row.outcome, completion: parseCompletion(row.completion) };
    case "admitted":
      return { kind: "admitted", reservation: (input.charge ?? true) ? { ...reservation, memberCharged: row.member_charged } : null };
    case "refused_member":
      throw new GatewayError(
        "quota_exceeded",
        `You have reached your personal monthly token allowance in this workspace. It resets on ${resetsAt.slice(0, 10)} (UTC).`,
        {
          quota: { limit: "member_tokens", resetsAt },
        },
      );
    default: {
      const limit = row?.refused_limit === "usd" ? "usd" : "tokens";
      const what = limit === "tokens" ? "monthly token limit" : "monthly spending limit";
      throw new GatewayError(
        "quota_exceeded",
        `This workspace has reached its ${what}. It resets on ${resetsAt.slice(0, 10)} (UTC); an owner can raise the limit in Settings.`,
        {
          quota: { limit, resetsAt },
        },
      );
    }
  }
}

const parseCompletion = (value: AdmitRow["completion"]): CachedCompletion => (typeof value === "string" ? (JSON.parse(value) as CachedCompletion) : value!);

/**
 * Cross-tenant clean-up (cron): reservations past their expiry, whose call's usage record never
 * arrived (the process died, or its records were lost). A call that was admitted reached, or was
 * about to reach, a provider, so it is never free: each is billed at its estimate, with a usage
 * event under the call's own request id (a record that turns up later is then a duplicate and
 * adds nothing). Each reservation is settled exactly once: deleting its row is the gate, as in
 * the meter's settlement.
 */
export async function settleExpiredReservations(now = new Date(), options: { db?: Db } = {}): Promise<number> {
  const cutoff = now.toISOString();
  const expired = sql`select tenant_id, period_start, user_id, member_charged from quota_reservations where expires_at < ${cutoff}::timestamptz`;
  const rows = await withSystem(
    "cron: bill expired quota reservations in every tenant",
    async (tx) => {
      // The lock order of keel_admit and keel_record_usage: quota periods, then member rows, each
      // sorted, and only then the reservations. Any other order can deadlock with a live call.
      await tx.execute(sql`select 1 from quota_periods where (tenant_id, period_start) in (select tenant_id, period_start from (${expired}) e)
                           order by tenant_id, period_start for no key update`);
      await tx.execute(sql`select 1 from member_quota_periods
                           where (tenant_id, user_id, period_start) in (select tenant_id, user_id, period_start from (${expired}) e where member_charged and user_id is not null)
                           order by tenant_id, user_id, period_start for no key update`);
      return rawRows<{ settled: string }>(
        tx,
        sql`with r as (delete from quota_reservations where expires_at < ${cutoff}::timestamptz
                       returning id, tenant_id, period_start, user_id, api_key_id, tokens, micro_usd, member_charged, request_id, feature, role, provider, model),
            billed as (insert into usage_events (tenant_id, request_id, user_id, api_key_id, feature, role, provider, model, input_tokens, output_tokens,
                                                 cost_micro_usd, latency_ms, cache_status, status, error_code)
                       select tenant_id, coalesce(request_id, 'reservation:' || id), user_id, api_key_id, coalesce(feature, 'unknown'), coalesce(role, 'unknown'),
                              coalesce(provider, 'unknown'), coalesce(model, 'unknown'), tokens, 0, micro_usd, 0, 'miss', 'error', 'unrecorded'
                       from r
                       on conflict (tenant_id, request_id) do nothing
                       returning tenant_id, request_id, provider, model, input_tokens, cost_micro_usd),
            charged as (select r.*, (b.request_id is not null) as billed from r
                        left join billed b on b.tenant_id = r.tenant_id and b.request_id = coalesce(r.request_id, 'reservation:' || r.id)),
            totals as (select tenant_id, period_start, sum(tokens) as tokens, sum(micro_usd) as micro_usd,
                              sum(tokens) filter (where billed) as used_tokens, sum(micro_usd) filter (where billed) as used_micro_usd, count(*) as n
                       from charged group by tenant_id, period_start),
            q as (update quota_periods p set reserved_tokens = greatest(0, p.reserved_tokens - t.tokens), reserved_micro_usd = greatest(0, p.reserved_micro_usd - t.micro_usd),
                                             used_tokens = p.used_tokens + coalesce(t.used_tokens, 0), used_micro_usd = p.used_micro_usd + coalesce(t.used_micro_usd, 0)
                  from totals t where p.tenant_id = t.tenant_id and p.period_start = t.period_start returning 1),
            members as (select tenant_id, user_id, period_start, sum(tokens) as tokens, sum(tokens) filter (where billed) as used
                        from charged where member_charged and user_id is not null group by tenant_id, user_id, period_start),
            m as (update member_quota_periods p set reserved_tokens = greatest(0, p.reserved_tokens - t.tokens), used_tokens = p.used_tokens + coalesce(t.used, 0)
                  from members t where p.tenant_id = t.tenant_id and p.user_id = t.user_id and p.period_start = t.period_start returning 1)
            select coalesce(sum(n), 0)::int as settled from totals`,
      );
    },
    options,
  );
  return Number(rows[0]?.settled ?? 0);
}
