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
  return withSystem(
    "cron: bill expired quota reservations in every tenant",
    async (tx) => {
      // The lock order of keel_record_usage: reservations (in id order), events, then quota
      // periods and member rows, each sorted. keel_admit takes only the last two, in that order,
      // and waits on nothing else while it holds them. Any other order can deadlock with a live call.
      const released = await rawRows<{
        tenant_id: string;
        period_start: string;
        user_id: string | null;
        member_charged: boolean;
        tokens: string;
        micro_usd: string;
        billed: boolean;
      }>(
        tx,
        sql`with locked as (select id from quota_reservations where expires_at < ${cutoff}::timestamptz order by id for update),
            r as (delete from quota_reservations q using locked l where q.id = l.id
                  returning q.id, q.tenant_id, q.period_start, q.user_id, q.api_key_id, q.tokens, q.micro_usd, q.member_charged,
                            q.request_id, q.feature, q.role, q.provider, q.model),
            billed as (insert into usage_events (tenant_id, request_id, user_id, api_key_id, feature, role, provider, model, input_tokens, output_tokens,
                                                 cost_micro_usd, latency_ms, cache_status, status, error_code)
                       select tenant_id, coalesce(request_id, 'reservation:' || id), user_id, api_key_id, coalesce(feature, 'unknown'), coalesce(role, 'unknown'),
                              coalesce(provider, 'unknown'), coalesce(model, 'unknown'), tokens, 0, micro_usd, 0, 'miss', 'error', 'unrecorded'
                       from r
                       on conflict (tenant_id, request_id) do nothing
                       returning tenant_id, request_id)
            select r.tenant_id, r.period_start::text, r.user_id, r.member_charged, r.tokens::text, r.micro_usd::text, (b.request_id is not null) as billed
            from r left join billed b on b.tenant_id = r.tenant_id and b.request_id = coalesce(r.request_id, 'reservation:' || r.id)`,
      );
      if (released.length === 0) return 0;
      const charged = sql`(select * from jsonb_to_recordset(${JSON.stringify(released)}::jsonb)
                           as c(tenant_id uuid, period_start date, user_id uuid, member_charged boolean, tokens bigint, micro_usd bigint, billed boolean))`;
      await tx.execute(sql`select 1 from quota_periods where (tenant_id, period_start) in (select tenant_id, period_start from ${charged} c)
                           order by tenant_id, period_start for no key update`);
      await tx.execute(sql`select 1 from member_quota_periods
                           where (tenant_id, user_id, period_start) in (select tenant_id, user_id, period_start from ${charged} c where member_charged and user_id is not null)
                           order by tenant_id, user_id, period_start for no key update`);
      await tx.execute(
        sql`update quota_periods p set reserved_tokens = greatest(0, p.reserved_tokens - t.tokens), reserved_micro_usd = greatest(0, p.reserved_micro_usd - t.micro_usd),
                                       used_tokens = p.used_tokens + coalesce(t.used_tokens, 0), used_micro_usd = p.used_micro_usd + coalesce(t.used_micro_usd, 0)
            from (select tenant_id, period_start, sum(tokens) as tokens, sum(micro_usd) as micro_usd,
                         sum(tokens) filter (where billed) as used_tokens, sum(micro_usd) filter (where billed) as used_micro_usd
                  from ${charged} c group by tenant_id, period_start) t
            where p.tenant_id = t.tenant_id and p.period_start = t.period_start`,
      );
      await tx.execute(
        sql`update member_quota_periods p set reserved_tokens = greatest(0, p.reserved_tokens - t.tokens), used_tokens = p.used_tokens + coalesce(t.used, 0)
            from (select tenant_id, user_id, period_start, sum(tokens) as tokens, sum(tokens) filter (where billed) as used
                  from ${charged} c where member_charged and user_id is not null group by tenant_id, user_id, period_start) t
            where p.tenant_id = t.tenant_id and p.user_id = t.user_id and p.period_start = t.period_start`,
      );
      return released.length;
    },
    options,
  );
}
