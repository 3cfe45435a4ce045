// The API rate limits an admin sets in Settings: per key and for the whole workspace, requests and
// tokens per minute. Empty means the plan's; a capped plan allows lower figures only. Each change
// is audited (before → after) and binds from the next call in every process.
import { eq } from "drizzle-orm";
import { z } from "zod";
import { tenantAiSettings, tenants } from "@/db/schema";
import { announceInvalidation } from "@/db/invalidation";
import { withTenant } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { recordAudit } from "@/lib/tenancy/audit";
import { hasRole } from "@/lib/tenancy/roles";
import { planRateLimits, rateLimitNames } from "./plans";

const perMinute = z.preprocess(
  (v) => (v === "" || v === null || v === undefined ? null : v),
  z.coerce.number().int("Use a whole number.").min(1, "At least 1, or empty for the plan's.").max(1e9).nullable(),
);

export const rateLimitSettingsSchema = z.object({
  keyRequestsPerMinute: perMinute,
  keyTokensPerMinute: perMinute,
  workspaceRequestsPerMinute: perMinute,
  workspaceTokensPerMinute: perMinute,
});
export type RateLimitSettingsInput = z.infer<typeof rateLimitSettingsSchema>;

const columns = {
  keyRequestsPerMinute: tenantAiSettings.apiKeyRequestsPerMinute,
  keyTokensPerMinute: tenantAiSettings.apiKeyTokensPerMinute,
  workspaceRequestsPerMinute: tenantAiSettings.workspaceRequestsPerMinute,
  workspaceTokensPerMinute: tenantAiSettings.workspaceTokensPerMinute,
} as const;

const count = new Intl.NumberFormat("en");

/** Saves the limits; every process's gateway drops the cached profile, so they bind from the next call. */
export async function updateRateLimits(ctx: TenantContext, input: RateLimitSettingsInput): Promise<void> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can change API rate limits.");
  await withTenant(
    ctx.tenantId,
    async (tx) => {
      const [tenant] = await tx.select({ plan: tenants.plan }).from(tenants).where(eq(tenants.id, ctx.tenantId));
      if (!tenant) throw new Error(`Tenant ${ctx.tenantId} not visible in its own context`);
      const plan = planRateLimits[tenant.plan];
      if (plan.capped) {
        const tooHigh = Object.fromEntries(
          rateLimitNames
            .filter((name) => (input[name] ?? 0) > plan.limits[name])
            .map((name) => [name, `The ${tenant.plan} plan allows at most ${count.format(plan.limits[name])}. Enter a lower figure, or leave it empty.`]),
        );
        if (Object.keys(tooHigh).length > 0) throw new KeelError("invalid_input", "Rate limits cannot exceed your plan's.", tooHigh);
      }
      const [existing] = await tx.select(columns).from(tenantAiSettings).where(eq(tenantAiSettings.tenantId, ctx.tenantId)).for("update");
      const values = {
        apiKeyRequestsPerMinute: input.keyRequestsPerMinute,
        apiKeyTokensPerMinute: input.keyTokensPerMinute,
        workspaceRequestsPerMinute: input.workspaceRequestsPerMinute,
        workspaceTokensPerMinute: input.workspaceTokensPerMinute,
        updatedAt: new Date(),
      };
      await tx
        .insert(tenantAiSettings)
        .values({ tenantId: ctx.tenantId, ...values })
        .onConflictDoUpdate({ target: tenantAiSettings.tenantId, set: values });
      for (const name of rateLimitNames) {
        const before = existing?.[name] ?? null;
        if (before === input[name]) continue;
        await recordAudit(tx, {
          tenantId: ctx.tenantId,
          actorUserId: ctx.userId,
          action: "ai_settings.changed",
          targetType: "ai_setting",
          targetId: name,
          metadata: { setting: name, before, after: input[name] },
        });
      }
      await announceInvalidation(tx, "tenant_profile", ctx.tenantId);
    },
    { userId: ctx.userId },
  );
  // Other processes drop their copy when the announcement reaches them; this one at once.
  getGateway().forgetTenant(ctx.tenantId);
}
