// Atomic quota accounting. Before a call: reserve an estimate in one conditional UPDATE, so
// concurrent calls (any number of app processes) can never jointly pass the hard limit. After:
// settle the actual amount, or release on failure — each reservation exactly once.
import { sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
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

interface ReserveInput {
  profile: TenantProfile;
  userId: string | null;
  reservationId: string;
  tokens: number;
  microUsd: number;
  now: Date;
  ttlMs: number;
}

const asNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

async function tryReserve(tx: Tx, input: ReserveInput, periodStart: string): Promise<{ memberTokenCap: number | null } | null> {
  const expiresAt = new Date(input.now.getTime() + input.ttlMs).toISOString();
  const rows = await rawRows<{ member_token_cap: unknown }>(
    tx,
    sql`with q as (
          update quota_periods set reserved_tokens = reserved_tokens + ${input.tokens}, reserved_micro_usd = reserved_micro_usd + ${input.microUsd}
          where tenant_id = ${input.profile.tenantId} and period_start = ${periodStart}
            and (token_limit is null or used_tokens + reserved_tokens + ${input.tokens} <= token_limit)
            and (micro_usd_limit is null or used_micro_usd + reserved_micro_usd + ${input.microUsd} <= micro_usd_limit)
          returning tenant_id, period_start, member_token_cap),
        r as (
          insert into quota_reservations (id, tenant_id, period_start, user_id, tokens, micro_usd, expires_at)
          select ${input.reservationId}, tenant_id, period_start, ${input.userId}, ${input.tokens}, ${input.microUsd}, ${expiresAt}::timestamptz from q
          returning id)
        select q.member_token_cap from q, r`,
  );
  return rows[0] ? { memberTokenCap: asNumber(rows[0].member_token_cap) } : null;
}

/** Opens the period with the limits in force now; a no-op when another call already did. */
async function openPeriod(tx: Tx, profile: TenantProfile, periodStart: string): Promise<void> {
  await tx.execute(sql`
    insert into quota_periods (tenant_id, period_start, token_limit, micro_usd_limit, member_token_cap, soft_limit_percent)
    values (${profile.tenantId}, ${periodStart}, ${profile.tokenLimit}, ${profile.microUsdLimit}, ${profile.memberTokenCap}, ${profile.softLimitPercent})
    on conflict (tenant_id, period_start) do nothing`);
}

async function refusal(tx: Tx, input: ReserveInput, periodStart: string, resetsAt: string): Promise<GatewayError> {
  const [row] = await rawRows<Record<string, unknown>>(
    tx,
    sql`select token_limit, micro_usd_limit, used_tokens, used_micro_usd, reserved_tokens, reserved_micro_usd
        from quota_periods where tenant_id = ${input.profile.tenantId} and period_start = ${periodStart}`,
  );
  const tokenLimit = asNumber(row?.token_limit);
  const committedTokens = Number(row?.used_tokens ?? 0) + Number(row?.reserved_tokens ?? 0);
  const limit = tokenLimit !== null && committedTokens + input.tokens > tokenLimit ? "tokens" : "usd";
  const what = limit === "tokens" ? "monthly token limit" : "monthly spending limit";
  return new GatewayError("quota_exceeded", `This workspace has reached its ${what}. It resets on ${resetsAt.slice(0, 10)} (UTC); an owner can raise the limit in Settings.`, {
    quota: { limit, resetsAt },
  });
}

export async function reserveQuota(tx: Tx, input: ReserveInput): Promise<Reservation> {
  const { start, resetsAt } = currentPeriod(input.now);
  let admitted = await tryReserve(tx, input, start);
  if (!admitted) {
    await openPeriod(tx, input.profile, start);
    admitted = await tryReserve(tx, input, start);
  }
  if (!admitted) throw await refusal(tx, input, start, resetsAt);

  let memberCharged = false;
  const cap = admitted.memberTokenCap;
  if (cap !== null && input.userId) {
    const rows = await rawRows<{ ok: number }>(
      tx,
      sql`insert into member_quota_periods as m (tenant_id, user_id, period_start, used_tokens, reserved_tokens)
          select ${input.profile.tenantId}, ${input.userId}, ${start}, 0, ${input.tokens} where ${input.tokens} <= ${cap}
          on conflict (tenant_id, user_id, period_start) do update set reserved_tokens = m.reserved_tokens + excluded.reserved_tokens
            where m.used_tokens + m.reserved_tokens + excluded.reserved_tokens <= ${cap}
          returning 1 as ok`,
    );
    // Throwing rolls back the tenant reservation made above in the same transaction.
    if (rows.length === 0) {
      throw new GatewayError("quota_exceeded", `You have reached your personal monthly token allowance in this workspace. It resets on ${resetsAt.slice(0, 10)} (UTC).`, {
        quota: { limit: "member_tokens", resetsAt },
      });
    }
    memberCharged = true;
  }
  return { id: input.reservationId, tenantId: input.profile.tenantId, periodStart: start, userId: input.userId, tokens: input.tokens, microUsd: input.microUsd, memberCharged };
}

export interface SettledPeriod {
  tokenLimit: number | null;
  microUsdLimit: number | null;
  usedTokens: number;
  usedMicroUsd: number;
  softLimitPercent: number;
  softWarnedAt: string | null;
}

/**
 * Swaps reservations for the actual spend of one period. Deleting the reservation rows is the
 * once-only gate: settling again (or after the sweep released them) subtracts nothing.
 */
export async function settleQuota(
  tx: Tx,
  input: { tenantId: string; periodStart: string; reservationIds: string[] },
  spend: { tokens: number; microUsd: number },
): Promise<SettledPeriod | null> {
  const ids = sql`array[${sql.join(input.reservationIds.map((id) => sql`${id}`), sql`, `)}]::uuid[]`;
  const rows = await rawRows<Record<string, unknown>>(
    tx,
    sql`with r as (delete from quota_reservations where id = any(${ids}) returning tokens, micro_usd)
        update quota_periods q set
          reserved_tokens = q.reserved_tokens - coalesce((select sum(tokens) from r), 0),
          reserved_micro_usd = q.reserved_micro_usd - coalesce((select sum(micro_usd) from r), 0),
          used_tokens = q.used_tokens + ${spend.tokens},
          used_micro_usd = q.used_micro_usd + ${spend.microUsd}
        where q.tenant_id = ${input.tenantId} and q.period_start = ${input.periodStart}
        returning q.token_limit, q.micro_usd_limit, q.used_tokens, q.used_micro_usd, q.soft_limit_percent, q.soft_warned_at`,
  );
  const row = rows[0];
  if (!row) return null;
  return {
    tokenLimit: asNumber(row.token_limit),
    microUsdLimit: asNumber(row.micro_usd_limit),
    usedTokens: Number(row.used_tokens),
    usedMicroUsd: Number(row.used_micro_usd),
    softLimitPercent: Number(row.soft_limit_percent),
    softWarnedAt: row.soft_warned_at ? String(row.soft_warned_at) : null,
  };
}

/** The member-cap side of a settlement; call before settleQuota deletes the reservations. */
export async function settleMemberQuota(tx: Tx, input: { tenantId: string; periodStart: string; userId: string; reservationIds: string[]; tokens: number }): Promise<void> {
  const ids = sql`array[${sql.join(input.reservationIds.map((id) => sql`${id}`), sql`, `)}]::uuid[]`;
  await tx.execute(sql`
    update member_quota_periods set
      reserved_tokens = greatest(0, reserved_tokens - coalesce((select sum(tokens) from quota_reservations where id = any(${ids})), 0)),
      used_tokens = used_tokens + ${input.tokens}
    where tenant_id = ${input.tenantId} and user_id = ${input.userId} and period_start = ${input.periodStart}`);
}

/** Marks the soft warning as sent for this period; true only for the one caller that marked it. */
export async function claimSoftWarning(tx: Tx, reservation: Pick<Reservation, "tenantId" | "periodStart">): Promise<boolean> {
  const rows = await rawRows<{ ok: number }>(
    tx,
    sql`update quota_periods set soft_warned_at = now()
        where tenant_id = ${reservation.tenantId} and period_start = ${reservation.periodStart} and soft_warned_at is null
        returning 1 as ok`,
  );
  return rows.length > 0;
}

export function softLimitCrossed(period: SettledPeriod): "tokens" | "usd" | null {
  const share = period.softLimitPercent / 100;
  if (period.tokenLimit !== null && period.usedTokens >= period.tokenLimit * share) return "tokens";
  if (period.microUsdLimit !== null && period.usedMicroUsd >= period.microUsdLimit * share) return "usd";
  return null;
}

/**
 * Cross-tenant clean-up (cron): reservations whose process died before settling. Each is
 * released exactly once, since deleting the row is the gate, as in settleQuota.
 */
export async function releaseExpiredReservations(now = new Date(), options: { db?: Db } = {}): Promise<number> {
  const rows = await withSystem(
    "cron: release expired quota reservations in every tenant",
    (tx) =>
      rawRows<{ released: string }>(
        tx,
        sql`with r as (delete from quota_reservations where expires_at < ${now.toISOString()}::timestamptz returning tenant_id, period_start, tokens, micro_usd),
            totals as (select tenant_id, period_start, sum(tokens) as tokens, sum(micro_usd) as micro_usd, count(*) as n from r group by tenant_id, period_start),
            q as (update quota_periods p set reserved_tokens = greatest(0, p.reserved_tokens - t.tokens), reserved_micro_usd = greatest(0, p.reserved_micro_usd - t.micro_usd)
                  from totals t where p.tenant_id = t.tenant_id and p.period_start = t.period_start returning 1)
            select coalesce(sum(n), 0)::int as released from totals`,
      ),
    options,
  );
  return Number(rows[0]?.released ?? 0);
}
