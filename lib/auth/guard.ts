// The one guard in front of every server action, route handler and tenant page.
import { cache } from "react";
import type { MemberRole } from "@/db/schema";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { findMembershipRole } from "@/lib/tenancy/members";
import { hasRole } from "@/lib/tenancy/roles";
import { auth } from "./index";
import { findOperator, type OperatorContext } from "./operator";

export interface GuardOptions {
  /** The least role the caller needs (default: any member). */
  role?: MemberRole;
}

/** The signed-in user's id, or `unauthenticated`. For pages that need no tenant (workspace list). */
export async function requireUser(): Promise<{ userId: string; tenantId: string | null }> {
  const session = await auth();
  if (!session?.userId) throw new KeelError("unauthenticated", "Sign in to continue.");
  return { userId: session.userId, tenantId: session.tenantId };
}

// A page renders its layout and itself, each behind the guard: one membership lookup per request
// is enough. Keyed by the ids, so a tenant switch within a request looks up the new tenant.
const membershipRole = cache(findMembershipRole);

/**
 * Yields `{ userId, tenantId, role }` for the active tenant, or refuses: 401 without a session,
 * 403 without a current membership or with too small a role. The role comes from the database,
 * not the session, so a demotion or removal takes effect on the next request.
 */
export async function requireTenant(options: GuardOptions = {}): Promise<TenantContext> {
  const { userId, tenantId } = await requireUser();
  if (!tenantId) throw new KeelError("forbidden", "Choose a workspace to continue.");
  const role = await membershipRole(tenantId, userId);
  if (!role) throw new KeelError("forbidden", "You are no longer a member of this workspace.");
  if (options.role && !hasRole(role, options.role)) {
    throw new KeelError("forbidden", `This needs the ${options.role} role or higher.`);
  }
  return { userId, tenantId, role };
}

/** The guard in front of every operator page and action: 401 without a session, else 404 for non-operators. */
export async function requireOperator(): Promise<OperatorContext> {
  const { userId } = await requireUser();
  const operator = await findOperator(userId);
  if (!operator) throw new KeelError("not_found", "This page does not exist.");
  return operator;
}
