// The limits of a period as the gateway enforces them (quota_periods), for the usage page's lines,
// and what each member has counted against a per-member cap.
import { sql } from "drizzle-orm";
import type { PlanTier } from "@/db/schema";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import type { PlanAllowance } from "@/lib/ai/plans";
import { readTenantProfile } from "@/lib/ai/tenant-profile";

export interface QuotaView {
  /** Null: no limit (or, for a past period that never opened, none recorded). */
  tokenLimit: number | null;
  microUsdLimit: number | null;
  softLimitPercent: number;
  memberTokenCap: number | null;
  /** Held by calls in flight: counted against the limit, not yet spent. */
  reservedTokens: number;
  reservedMicroUsd: number;
  plan: PlanTier;
  allowance: PlanAllowance;
  downgradeAtSoftLimit: boolean;
  /** What the tenant set itself (null: the plan's allowance applies). */
  ownTokenLimit: number | null;
  ownMicroUsdLimit: number | null;
}

interface QuotaRow {
  token_limit: string | number | null;
  micro_usd_limit: string | number | null;
  member_token_cap: string | number | null;
  soft_limit_percent: number;
  reserved_tokens: string | number;
  reserved_micro_usd: string | number;
}

const numberOrNull = (value: string | number | null) => (value === null ? null : Number(value));

export async function readQuotaView(tx: Tx, tenantId: string, periodStart: string, isCurrent: boolean, now: Date): Promise<QuotaView> {
  const profile = await readTenantProfile(tx, tenantId, now);
  const [row] = await rawRows<QuotaRow>(
    tx,
    sql`select token_limit, micro_usd_limit, member_token_cap, soft_limit_percent, reserved_tokens, reserved_micro_usd
        from quota_periods where tenant_id = ${tenantId}::uuid and period_start = ${periodStart}::date`,
  );
  // A period opens with the first admitted call; before that, the current period's limits are the profile's.
  const fallback = isCurrent ? profile : { tokenLimit: null, microUsdLimit: null, memberTokenCap: null, softLimitPercent: profile.softLimitPercent };
  return {
    tokenLimit: row ? numberOrNull(row.token_limit) : fallback.tokenLimit,
    microUsdLimit: row ? numberOrNull(row.micro_usd_limit) : fallback.microUsdLimit,
    memberTokenCap: row ? numberOrNull(row.member_token_cap) : fallback.memberTokenCap,
    softLimitPercent: row?.soft_limit_percent ?? fallback.softLimitPercent,
    reservedTokens: row ? Number(row.reserved_tokens) : 0,
    reservedMicroUsd: row ? Number(row.reserved_micro_usd) : 0,
    plan: profile.plan,
    allowance: profile.allowance,
    downgradeAtSoftLimit: profile.downgradeAtSoftLimit,
    ownTokenLimit: profile.ownTokenLimit,
    ownMicroUsdLimit: profile.ownMicroUsdLimit,
  };
}

export interface MemberCapUsage {
  userId: string;
  /** Null when the person is no longer a member (their name is no longer visible to the tenant). */
  name: string | null;
  countedTokens: number;
  reservedTokens: number;
}

/** Tokens counted against the per-member cap this period, biggest first. */
export async function readMemberCapUsage(tx: Tx, tenantId: string, periodStart: string, userId?: string): Promise<MemberCapUsage[]> {
  const rows = await rawRows<{ user_id: string; name: string | null; used_tokens: string | number; reserved_tokens: string | number }>(
    tx,
    sql`select m.user_id, u.name, m.used_tokens, m.reserved_tokens
        from member_quota_periods m left join users u on u.id = m.user_id
        where m.tenant_id = ${tenantId}::uuid and m.period_start = ${periodStart}::date
          ${userId ? sql`and m.user_id = ${userId}::uuid` : sql``}
        order by m.used_tokens desc, m.user_id
        limit 200`,
  );
  return rows.map((r) => ({ userId: r.user_id, name: r.name, countedTokens: Number(r.used_tokens), reservedTokens: Number(r.reserved_tokens) }));
}
