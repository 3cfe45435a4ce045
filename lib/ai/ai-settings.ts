// A tenant's AI limits and behaviour, edited by owners and admins in Settings.
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { quotaPeriods, tenantAiSettings, tenantNotices, type TenantNotice } from "@/db/schema";
import { announceInvalidation } from "@/db/invalidation";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { recordAudit } from "@/lib/tenancy/audit";
import { hasRole } from "@/lib/tenancy/roles";
import { currentPeriod } from "./quota-period";
import { readTenantProfile, type TenantProfile } from "./tenant-profile";

const optionalLimit = z.preprocess((v) => (v === "" || v === null || v === undefined ? null : v), z.coerce.number().int().min(0).max(1e12).nullable());

export const aiSettingsSchema = z.object({
  monthlyTokenLimit: optionalLimit,
  /** Entered in USD, stored in micro-USD. */
  monthlyUsdLimit: z.preprocess((v) => (v === "" || v === null || v === undefined ? null : v), z.coerce.number().min(0).max(1e6).nullable()),
  memberMonthlyTokenCap: optionalLimit,
  softLimitPercent: z.coerce.number().int().min(1, "Between 1 and 100.").max(100, "Between 1 and 100."),
  downgradeAtSoftLimit: z.preprocess((v) => v === "on" || v === true || v === "true", z.boolean()),
  warningWebhookUrl: z.preprocess(
    (v) => (v === "" ? null : v),
    z
      .url("Enter a full https:// URL.")
      .refine((u) => /^https?:\/\//.test(u), "Use http(s).")
      .nullable(),
  ),
});
export type AiSettingsInput = z.infer<typeof aiSettingsSchema>;

export function getAiProfile(ctx: TenantContext): Promise<TenantProfile> {
  return withTenant(ctx.tenantId, (tx) => readTenantProfile(tx, ctx.tenantId), { userId: ctx.userId });
}

/** Saves the settings and applies the new limits to the current period at once. */
export async function updateAiSettings(ctx: TenantContext, input: AiSettingsInput): Promise<void> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can change AI limits.");
  const values = {
    monthlyTokenLimit: input.monthlyTokenLimit,
    monthlyMicroUsdLimit: input.monthlyUsdLimit === null ? null : Math.round(input.monthlyUsdLimit * 1_000_000),
    memberMonthlyTokenCap: input.memberMonthlyTokenCap,
    softLimitPercent: input.softLimitPercent,
    downgradeAtSoftLimit: input.downgradeAtSoftLimit,
    warningWebhookUrl: input.warningWebhookUrl,
    updatedAt: new Date(),
  };
  await withTenant(
    ctx.tenantId,
    async (tx) => {
      await tx
        .insert(tenantAiSettings)
        .values({ tenantId: ctx.tenantId, ...values })
        .onConflictDoUpdate({ target: tenantAiSettings.tenantId, set: values });
      const profile = await readTenantProfile(tx, ctx.tenantId);
      await tx
        .update(quotaPeriods)
        .set({
          tokenLimit: profile.tokenLimit,
          microUsdLimit: profile.microUsdLimit,
          memberTokenCap: profile.memberTokenCap,
          softLimitPercent: profile.softLimitPercent,
        })
        .where(and(eq(quotaPeriods.tenantId, ctx.tenantId), eq(quotaPeriods.periodStart, currentPeriod().start)));
      await recordAudit(tx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, action: "ai_settings.changed", targetType: "tenant", targetId: ctx.tenantId });
      // Every process's gateway drops its cached profile, so the new limits apply from the next call.
      await announceInvalidation(tx, "tenant_profile", ctx.tenantId);
    },
    { userId: ctx.userId },
  );
}

export interface QuotaStatus {
  periodStart: string;
  resetsAt: string;
  usedTokens: number;
  reservedTokens: number;
  usedMicroUsd: number;
  tokenLimit: number | null;
  microUsdLimit: number | null;
  softLimitPercent: number;
}

export async function getQuotaStatus(ctx: TenantContext): Promise<QuotaStatus> {
  const { start, resetsAt } = currentPeriod();
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const profile = await readTenantProfile(tx, ctx.tenantId);
      const [row] = await tx
        .select()
        .from(quotaPeriods)
        .where(and(eq(quotaPeriods.tenantId, ctx.tenantId), eq(quotaPeriods.periodStart, start)));
      return {
        periodStart: start,
        resetsAt,
        usedTokens: row?.usedTokens ?? 0,
        reservedTokens: row?.reservedTokens ?? 0,
        usedMicroUsd: row?.usedMicroUsd ?? 0,
        tokenLimit: row ? row.tokenLimit : profile.tokenLimit,
        microUsdLimit: row ? row.microUsdLimit : profile.microUsdLimit,
        softLimitPercent: row?.softLimitPercent ?? profile.softLimitPercent,
      };
    },
    { userId: ctx.userId },
  );
}

/** Undismissed notices (quota warnings), newest first. */
export function listNotices(ctx: TenantContext): Promise<TenantNotice[]> {
  return withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select()
        .from(tenantNotices)
        .where(and(eq(tenantNotices.tenantId, ctx.tenantId), sql`${tenantNotices.dismissedAt} is null`))
        .orderBy(sql`${tenantNotices.createdAt} desc`)
        .limit(5),
    { userId: ctx.userId },
  );
}

export async function dismissNotice(ctx: TenantContext, noticeId: string): Promise<void> {
  await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .update(tenantNotices)
        .set({ dismissedAt: new Date() })
        .where(and(eq(tenantNotices.id, noticeId), eq(tenantNotices.tenantId, ctx.tenantId))),
    { userId: ctx.userId },
  );
}
