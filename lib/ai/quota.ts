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

export interface Reservation {
  id: string;
  tenantId: string;
  periodStart: string;
  userId: string | null;
  tokens: number;
  microUsd: number;
  /** Whether a per-member cap was charged too (settle must undo it). */
  memberCharged: boolean;
}

export type Admission = { kind: "hit"; status: "exact" | "semantic"; completion: CachedCompletion } | { kind: "admitted"; reservation: Reservation };

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
}

interface AdmitRow {
  outcome: "exact" | "semantic" | "admitted" | "refused" | "refused_member";
  completion: CachedCompletion | string | null;
  member_charged: boolean;
  refused_limit: "tokens" | "usd" | null;
}

/**
 * Before a model call, in one round trip (keel_admit, migration 0005): a cached answer if there is
 * one (spending no quota), else a reservation of the estimate made by one conditional UPDATE, so
 * concurrent calls from any number of processes can never jointly pass the hard limit. A refusal
 * throws a 402-mapped GatewayError that names the limit and when it resets.
 */
export async function admit(input: AdmitInput, options: { db?: Db } = {}): Promise<Admission> {
  const { start, resetsAt } = currentPeriod(input.now);
  const { profile } = input;
  const reservationId = randomUUID();
  const expiresAt = new Date(input.now.getTime() + input.ttlMs).toISOString();
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
    ],
    options,
  );
  switch (row?.outcome) {
    case "exact":
    case "semantic":
      return { kind: "hit", status: row.outcome, completion: parseCompletion(row.completion) };
    case "admitted":
      return {
        kind: "admitted",
        reservation: {
          id: reservationId,
          tenantId: profile.tenantId,
          periodStart: start,
          userId: input.userId,
          tokens: input.tokens,
          microUsd: input.microUsd,
          memberCharged: row.member_charged,
        },
      };
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
 * Cross-tenant clean-up (cron): reservations whose process died before settling. Each is
 * released exactly once, since deleting the row is the gate, as in the meter's settlement.
 */
export async function releaseExpiredReservations(now = new Date(), options: { db?: Db } = {}): Promise<number> {
  const expired = sql`select tenant_id, period_start, user_id, member_charged from quota_reservations where expires_at < ${now.toISOString()}::timestamptz`;
  const rows = await withSystem(
    "cron: release expired quota reservations in every tenant",
    async (tx) => {
      // The lock order of keel_admit and keel_record_usage: quota periods, then member rows, each
      // sorted, and only then the reservations. Any other order can deadlock with a live call.
      await tx.execute(sql`select 1 from quota_periods where (tenant_id, period_start) in (select tenant_id, period_start from (${expired}) e)
                           order by tenant_id, period_start for no key update`);
      await tx.execute(sql`select 1 from member_quota_periods
                           where (tenant_id, user_id, period_start) in (select tenant_id, user_id, period_start from (${expired}) e where member_charged and user_id is not null)
                           order by tenant_id, user_id, period_start for no key update`);
      return rawRows<{ released: string }>(
        tx,
        sql`with r as (delete from quota_reservations where expires_at < ${now.toISOString()}::timestamptz
                       returning tenant_id, period_start, user_id, tokens, micro_usd, member_charged),
            totals as (select tenant_id, period_start, sum(tokens) as tokens, sum(micro_usd) as micro_usd, count(*) as n from r group by tenant_id, period_start),
            q as (update quota_periods p set reserved_tokens = greatest(0, p.reserved_tokens - t.tokens), reserved_micro_usd = greatest(0, p.reserved_micro_usd - t.micro_usd)
                  from totals t where p.tenant_id = t.tenant_id and p.period_start = t.period_start returning 1),
            members as (select tenant_id, user_id, period_start, sum(tokens) as tokens from r where member_charged and user_id is not null group by tenant_id, user_id, period_start),
            m as (update member_quota_periods p set reserved_tokens = greatest(0, p.reserved_tokens - t.tokens)
                  from members t where p.tenant_id = t.tenant_id and p.user_id = t.user_id and p.period_start = t.period_start returning 1)
            select coalesce(sum(n), 0)::int as released from totals`,
      );
    },
    options,
  );
  return Number(rows[0]?.released ?? 0);
}
