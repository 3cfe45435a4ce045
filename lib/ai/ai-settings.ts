// A tenant's AI limits and behaviour, edited by owners and admins in Settings. Limits may be set
// below the plan's allowance, never above it; the soft-limit webhook must reach a public address
// and is signed with a secret shown once.
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { quotaPeriods, tenantAiSettings, tenantNotices, tenants, type PlanTier, type TenantNotice } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { recordAudit } from "@/lib/tenancy/audit";
import { hasRole } from "@/lib/tenancy/roles";
import { newWebhookSecret } from "@/lib/webhooks/signature";
import { resolveWebhookTarget, UnsafeWebhookUrlError, webhookUrlProblem, type WebhookTargetOptions } from "@/lib/webhooks/webhook-target";
import { auditAiSettingsChanges, defaultAiSettings } from "./ai-settings-audit";
import { applyLimitsToCurrentPeriod } from "./period-limits";
import { planAllowances, type PlanAllowance } from "./plans";
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
  // The scheme and shape here; where the host points is checked when saving (updateAiSettings).
  warningWebhookUrl: z.preprocess(
    (v) => (v === "" ? null : v),
    z
      .string()
      .trim()
      .max(2_000, "Use at most 2,000 characters.")
      .superRefine((url, ctx) => {
        const problem = webhookUrlProblem(url);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .nullable(),
  ),
});
export type AiSettingsInput = z.infer<typeof aiSettingsSchema>;

export function getAiProfile(ctx: TenantContext): Promise<TenantProfile> {
  return withTenant(ctx.tenantId, (tx) => readTenantProfile(tx, ctx.tenantId), { userId: ctx.userId });
}

const count = new Intl.NumberFormat("en");
const usd = new Intl.NumberFormat("en", { style: "currency", currency: "USD" });

/** Field errors for limits above the plan's allowance (the plan is read in the same transaction). */
function limitsAbovePlan(plan: PlanTier, allowance: PlanAllowance, tokens: number | null, microUsd: number | null): Record<string, string> {
  const errors: Record<string, string> = {};
  if (allowance.monthlyTokens !== null && tokens !== null && tokens > allowance.monthlyTokens) {
    errors.monthlyTokenLimit = `The ${plan} plan allows at most ${count.format(allowance.monthlyTokens)} tokens a month. Enter a lower limit, or leave it empty for the plan's.`;
  }
  if (allowance.monthlyMicroUsd !== null && microUsd !== null && microUsd > allowance.monthlyMicroUsd) {
    errors.monthlyUsdLimit = `The ${plan} plan allows at most ${usd.format(allowance.monthlyMicroUsd / 1_000_000)} a month. Enter a lower limit, or leave it empty for the plan's.`;
  }
  return errors;
}

async function assertPublicWebhookUrl(url: string, options: WebhookTargetOptions): Promise<void> {
  try {
    await resolveWebhookTarget(url, options);
  } catch (error) {
    if (!(error instanceof UnsafeWebhookUrlError)) throw error;
    throw new KeelError("invalid_input", "Please correct the highlighted fields.", { warningWebhookUrl: error.message });
  }
}

async function planOf(tx: Tx, tenantId: string): Promise<PlanTier> {
  const [row] = await tx.select({ plan: tenants.plan }).from(tenants).where(eq(tenants.id, tenantId));
  if (!row) throw new Error(`Tenant ${tenantId} not visible in its own context`);
  return row.plan;
}

/**
 * Saves the settings and applies the new limits to the current period at once. Returns the
 * webhook signing secret when this save created one (the first webhook URL): shown once.
 */
export async function updateAiSettings(
  ctx: TenantContext,
  input: AiSettingsInput,
  webhookOptions: WebhookTargetOptions = {},
): Promise<{ webhookSecret: string | null }> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can change AI limits.");
  // Before the transaction: name resolution is slow, and no row lock should wait on it.
  if (input.warningWebhookUrl) await assertPublicWebhookUrl(input.warningWebhookUrl, webhookOptions);
  const monthlyMicroUsdLimit = input.monthlyUsdLimit === null ? null : Math.round(input.monthlyUsdLimit * 1_000_000);
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const plan = await planOf(tx, ctx.tenantId);
      const tooHigh = limitsAbovePlan(plan, planAllowances[plan], input.monthlyTokenLimit, monthlyMicroUsdLimit);
      if (Object.keys(tooHigh).length > 0) throw new KeelError("invalid_input", "Limits cannot exceed your plan's allowance.", tooHigh);

      const [existing] = await tx
        .select({
          secret: tenantAiSettings.warningWebhookSecret,
          monthlyTokenLimit: tenantAiSettings.monthlyTokenLimit,
          monthlyMicroUsdLimit: tenantAiSettings.monthlyMicroUsdLimit,
          memberMonthlyTokenCap: tenantAiSettings.memberMonthlyTokenCap,
          softLimitPercent: tenantAiSettings.softLimitPercent,
          downgradeAtSoftLimit: tenantAiSettings.downgradeAtSoftLimit,
          warningWebhookUrl: tenantAiSettings.warningWebhookUrl,
        })
        .from(tenantAiSettings)
        .where(eq(tenantAiSettings.tenantId, ctx.tenantId))
        .for("update");
      // A secret lives as long as a webhook URL does: kept when the URL changes, dropped with it.
      const createdSecret = input.warningWebhookUrl && !existing?.secret ? newWebhookSecret() : null;
      const values = {
        monthlyTokenLimit: input.monthlyTokenLimit,
        monthlyMicroUsdLimit,
        memberMonthlyTokenCap: input.memberMonthlyTokenCap,
        softLimitPercent: input.softLimitPercent,
        downgradeAtSoftLimit: input.downgradeAtSoftLimit,
        warningWebhookUrl: input.warningWebhookUrl,
        warningWebhookSecret: input.warningWebhookUrl ? (createdSecret ?? existing?.secret ?? null) : null,
        updatedAt: new Date(),
      };
      await tx
        .insert(tenantAiSettings)
        .values({ tenantId: ctx.tenantId, ...values })
        .onConflictDoUpdate({ target: tenantAiSettings.tenantId, set: values });
      // Every process's gateway drops its cached profile, so the new limits apply from the next call.
      await applyLimitsToCurrentPeriod(tx, ctx.tenantId);
      const { secret: _secret, ...before } = existing ?? { secret: null, ...defaultAiSettings };
      const { warningWebhookSecret: _newSecret, updatedAt: _updatedAt, ...after } = values;
      await auditAiSettingsChanges(tx, ctx, before, after);
      if (createdSecret) {
        await recordAudit(tx, {
          tenantId: ctx.tenantId,
          actorUserId: ctx.userId,
          action: "ai_settings.webhook_secret_created",
          targetType: "tenant",
          targetId: ctx.tenantId,
        });
      }
      return { webhookSecret: createdSecret };
    },
    { userId: ctx.userId },
  );
}

/** Replaces the webhook signing secret; the new one is returned to be shown once. */
export async function rotateWebhookSecret(ctx: TenantContext): Promise<string> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can manage the webhook.");
  const secret = newWebhookSecret();
  await withTenant(
    ctx.tenantId,
    async (tx) => {
      const rotated = await tx
        .update(tenantAiSettings)
        .set({ warningWebhookSecret: secret, updatedAt: new Date() })
        .where(and(eq(tenantAiSettings.tenantId, ctx.tenantId), sql`${tenantAiSettings.warningWebhookUrl} is not null`))
        .returning({ tenantId: tenantAiSettings.tenantId });
      if (rotated.length === 0) throw new KeelError("conflict", "Save a webhook URL first: the secret signs its deliveries.");
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "ai_settings.webhook_secret_rotated",
        targetType: "tenant",
        targetId: ctx.tenantId,
      });
    },
    { userId: ctx.userId },
  );
  return secret;
}

export interface QuotaStatus {
  periodStart: string;
  resetsAt: string;
  usedTokens: number;
  reservedTokens: number;
  usedMicroUsd: number;
  /** The limits in force this period. */
  tokenLimit: number | null;
  microUsdLimit: number | null;
  softLimitPercent: number;
  plan: PlanTier;
  allowance: PlanAllowance;
  /** What the tenant set itself (null: the plan's allowance applies). */
  ownTokenLimit: number | null;
  ownMicroUsdLimit: number | null;
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
        plan: profile.plan,
        allowance: profile.allowance,
        ownTokenLimit: profile.ownTokenLimit,
        ownMicroUsdLimit: profile.ownMicroUsdLimit,
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
