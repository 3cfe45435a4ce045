// A workspace's rule that every member has a second factor (issue 19.5). It is enforced in the
// tenant guard (lib/auth/guard.ts), so every page, action and route of the workspace honours it:
// a member without a second factor is sent to set one up (/two-factor-setup) and can do nothing
// else in that workspace until then. API keys (/api/v1) do not pass through it: a key is not a
// person signing in. Owners and admins turn it on in Settings, only once they have one themselves.
import { eq } from "drizzle-orm";
import { tenantTwoFactorPolicies } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { recordAudit } from "@/lib/tenancy/audit";
import { hasSecondFactor } from "./factors";

const setupRequiredMessage = "This workspace requires two-factor authentication. Set up an authenticator app or a passkey to continue.";

const brand = Symbol.for("keel.TwoFactorSetupRequired");

/** The guard's refusal for a member without a second factor: a 403 to actions and routes, a redirect to the set-up page for pages. */
class TwoFactorSetupRequired extends KeelError {
  readonly [brand] = true;
  constructor() {
    super("forbidden", setupRequiredMessage);
  }
}

export function isTwoFactorSetupRequired(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { [brand]?: boolean })[brand] === true;
}

/** Throws TwoFactorSetupRequired when the workspace requires a second factor that the member lacks. One transaction. */
export async function enforceTwoFactorPolicy(tenantId: string, userId: string): Promise<void> {
  const blocked = await withTenant(
    tenantId,
    async (tx) => {
      const [policy] = await tx
        .select({ tenantId: tenantTwoFactorPolicies.tenantId })
        .from(tenantTwoFactorPolicies)
        .where(eq(tenantTwoFactorPolicies.tenantId, tenantId));
      return Boolean(policy) && !(await hasSecondFactor(tx, userId));
    },
    { userId },
  );
  if (blocked) throw new TwoFactorSetupRequired();
}

export async function twoFactorRequired(tenantId: string): Promise<boolean> {
  const rows = await withTenant(tenantId, (tx) =>
    tx.select({ tenantId: tenantTwoFactorPolicies.tenantId }).from(tenantTwoFactorPolicies).where(eq(tenantTwoFactorPolicies.tenantId, tenantId)),
  );
  return rows.length > 0;
}

/** Turns the rule on or off (the caller is an owner or admin), with an audit record. */
export async function setTwoFactorRequired(ctx: TenantContext, required: boolean): Promise<void> {
  await withTenant(
    ctx.tenantId,
    async (tx) => {
      if (required) {
        // Requiring of others what one lacks oneself would lock the admin out on the next click.
        if (!(await hasSecondFactor(tx, ctx.userId))) {
          throw new KeelError("invalid_input", "Set up two-factor authentication for your own account first (Your account).");
        }
        const added = await tx
          .insert(tenantTwoFactorPolicies)
          .values({ tenantId: ctx.tenantId, requiredBy: ctx.userId })
          .onConflictDoNothing()
          .returning({ tenantId: tenantTwoFactorPolicies.tenantId });
        if (added.length > 0)
          await recordAudit(tx, {
            tenantId: ctx.tenantId,
            actorUserId: ctx.userId,
            action: "security.two_factor_required",
            targetType: "tenant",
            targetId: ctx.tenantId,
          });
      } else {
        const removed = await tx
          .delete(tenantTwoFactorPolicies)
          .where(eq(tenantTwoFactorPolicies.tenantId, ctx.tenantId))
          .returning({ tenantId: tenantTwoFactorPolicies.tenantId });
        if (removed.length > 0)
          await recordAudit(tx, {
            tenantId: ctx.tenantId,
            actorUserId: ctx.userId,
            action: "security.two_factor_optional",
            targetType: "tenant",
            targetId: ctx.tenantId,
          });
      }
    },
    { userId: ctx.userId },
  );
}
