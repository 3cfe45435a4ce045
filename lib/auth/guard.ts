// The one guard in front of every server action, route handler and tenant page.
import { cache } from "react";
import type { MemberRole } from "@/db/schema";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { findMembershipAccess, scheduledForDeletionError } from "@/lib/tenancy/workspace-deletion";
import { hasRole } from "@/lib/tenancy/roles";
import { auth } from "./index";
import { findOperator, type OperatorContext } from "./operator";
import { isSessionActive } from "./user-sessions";
import { enforceTwoFactorPolicy } from "./two-factor/policy";
import { assertSessionMayOpenWorkspace } from "./sso/workspace-sso-policy";

/** A tenant context that came from a browser session (not an API key): what /api/live watches. */
export interface TenantSession extends TenantContext {
  sessionId: string;
}

export interface GuardOptions {
  /** The least role the caller needs (default: any member). */
  role?: MemberRole;
  /** Let the caller in although the workspace is scheduled for deletion (its notice and restore). */
  whileScheduledForDeletion?: boolean;
}

/** What an entry point's guard builder declares: always its least role, and any other option. */
export type EntryPointGuard = GuardOptions & { role: MemberRole };

export interface SignedInUser {
  userId: string;
  /** The user_sessions row behind the JWT: live streams watch it, "sign out everywhere" keeps it. */
  sessionId: string;
  tenantId: string | null;
}

/**
 * The signed-in user, or `unauthenticated`: without a session, or when its session row was revoked
 * (signed out, everywhere or here) — checked against the database, cached ≤ 2 s per process. For
 * pages that need no tenant (workspace list).
 */
export async function requireUser(): Promise<SignedInUser> {
  const user = await currentUser();
  if (!user) throw new KeelError("unauthenticated", "Sign in to continue.");
  return user;
}

/** The signed-in user, or null (no session, or a revoked one): for pages anyone may open. */
export async function currentUser(): Promise<SignedInUser | null> {
  const session = await auth();
  if (!session?.userId || !session.sessionId) return null;
  if (!(await isSessionActive(session.userId, session.sessionId))) return null;
  return { userId: session.userId, sessionId: session.sessionId, tenantId: session.tenantId };
}

// A page renders its layout and itself, each behind the guard: one membership lookup per request
// is enough. Keyed by the ids, so a tenant switch within a request looks up the new tenant.
const membershipAccess = cache(findMembershipAccess);
const twoFactorPolicy = cache(enforceTwoFactorPolicy);

/**
 * Yields `{ userId, tenantId, role }` for the active tenant, or refuses: 401 without a session,
 * 403 without a current membership, with too small a role, or without the second factor the
 * workspace requires, 410 while the workspace is scheduled for deletion. The role comes from the database,
 * not the session, so a demotion or removal takes effect on the next request.
 */
export async function requireTenant(options: GuardOptions = {}): Promise<TenantSession> {
  const { userId, sessionId, tenantId } = await requireUser();
  if (!tenantId) throw new KeelError("forbidden", "Choose a workspace to continue.");
  const access = await membershipAccess(tenantId, userId);
  if (!access) throw new KeelError("forbidden", "You are no longer a member of this workspace.");
  const { role } = access;
  // A workspace scheduled for deletion is unusable at once, for every member (issue 19.7).
  if (access.deletion && !options.whileScheduledForDeletion) throw scheduledForDeletionError(access.deletion);
  // A workspace that requires single sign-on refuses sessions that signed in another way.
  await assertSessionMayOpenWorkspace({ tenantId, userId, sessionId });
  if (options.role && !hasRole(role, options.role)) {
    throw new KeelError("forbidden", `This needs the ${options.role} role or higher.`);
  }
  // A workspace that requires two factors refuses a member without one (lib/auth/two-factor/policy.ts).
  await twoFactorPolicy(tenantId, userId);
  return { userId, sessionId, tenantId, role };
}

/** The guard in front of every operator page and action: 401 without a session, else 404 for non-operators. */
export async function requireOperator(): Promise<OperatorContext> {
  const { userId } = await requireUser();
  const operator = await findOperator(userId);
  if (!operator) throw new KeelError("not_found", "This page does not exist.");
  return operator;
}
