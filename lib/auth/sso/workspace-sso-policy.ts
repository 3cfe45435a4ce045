// A workspace's sign-in policy (issue 19.4): an admin may require members to sign in through the
// deployment's OIDC provider (KEEL_OIDC_*), optionally with an address at one domain. The guard
// (lib/auth/guard.ts) asks `assertSessionMayOpenWorkspace` on every request, so pages, actions
// and routes all honour it; what it compares is how the session signed in (user_sessions), so a
// password sign-in cannot switch into the workspace either. API keys are not sessions and are
// not affected.
import { and, eq } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { tenants, userSessions, workspaceSsoPolicies } from "@/db/schema";
import { withTenant, withUser } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { recordAudit } from "@/lib/tenancy/audit";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import { workspaceSsoProviderName } from "./sso-settings";
import { admitSso, ssoThrottle } from "./sso-throttle";

export interface SsoPolicy {
  requireSso: boolean;
  emailDomain: string | null;
}

interface SessionSignIn {
  method: string;
  email: string | null;
}

/** Like the session check (lib/auth/user-sessions.ts): another process sees a change within this time. */
const POLICY_CACHE_TTL_MS = 2_000;

const holder = globalThis as typeof globalThis & {
  __keelSsoPolicies?: LRUCache<string, { policy: SsoPolicy | null }>;
  __keelSessionSignIns?: LRUCache<string, SessionSignIn>;
};
const policies = (holder.__keelSsoPolicies ??= new LRUCache<string, { policy: SsoPolicy | null }>({ max: 20_000, ttl: POLICY_CACHE_TTL_MS }));
// How a session signed in never changes: cached without expiry, bounded in size.
const sessionSignIns = (holder.__keelSessionSignIns ??= new LRUCache<string, SessionSignIn>({ max: 50_000 }));

// Linear: each label is bounded and the dot separates them.
const domainPattern = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

export const ssoPolicySchema = z.object({
  requireSso: z
    .enum(["on", "true", "false", ""])
    .optional()
    .transform((value) => value === "on" || value === "true"),
  emailDomain: z
    .string()
    .trim()
    .toLowerCase()
    .max(253, "A domain has at most 253 characters.")
    .transform((value) => value.replace(/^@/, ""))
    .refine((value) => value === "" || domainPattern.test(value), "Enter a domain such as example.com, or leave it empty.")
    .transform((value) => value || null)
    .optional()
    .transform((value) => value ?? null),
});
type SsoPolicyInput = z.infer<typeof ssoPolicySchema>;

export async function getWorkspaceSsoPolicy(tenantId: string): Promise<SsoPolicy | null> {
  const cached = policies.get(tenantId);
  if (cached) return cached.policy;
  const [row] = await withTenant(tenantId, (tx) =>
    tx
      .select({ requireSso: workspaceSsoPolicies.requireSso, emailDomain: workspaceSsoPolicies.emailDomain })
      .from(workspaceSsoPolicies)
      .where(eq(workspaceSsoPolicies.tenantId, tenantId)),
  );
  const policy = row ?? null;
  policies.set(tenantId, { policy });
  return policy;
}

async function sessionSignInOf(userId: string, sessionId: string): Promise<SessionSignIn | null> {
  const key = `${userId}:${sessionId}`;
  const cached = sessionSignIns.get(key);
  if (cached) return cached;
  const [row] = await withUser(userId, (tx) =>
    tx
      .select({ method: userSessions.signInMethod, email: userSessions.signInEmail })
      .from(userSessions)
      .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId))),
  );
  if (row) sessionSignIns.set(key, row);
  return row ?? null;
}

/** Whether a session that signed in this way may open a workspace with this policy. */
export function signInSatisfies(signIn: SessionSignIn | null, policy: SsoPolicy | null): boolean {
  if (!policy?.requireSso) return true;
  if (signIn?.method !== "oidc") return false;
  return !policy.emailDomain || Boolean(signIn.email?.endsWith(`@${policy.emailDomain}`));
}

/** What a person must do to satisfy the policy, in words. */
function describeSsoRequirement(policy: SsoPolicy, providerName = workspaceSsoProviderName()): string {
  if (!providerName) {
    return "This workspace requires single sign-on, but this server no longer offers its sign-in provider. Ask whoever runs Keel to configure it again.";
  }
  const domain = policy.emailDomain ? ` with an address at ${policy.emailDomain}` : "";
  return `This workspace requires signing in through ${providerName}${domain}. Sign in with ${providerName} to open it.`;
}

const ssoRequiredBrand = Symbol.for("keel.SsoRequiredError");

/** The guard's refusal when a session did not sign in as the workspace requires; pages send it to /sso-required. */
class SsoRequiredError extends KeelError {
  readonly [ssoRequiredBrand] = true;
}

export function isSsoRequiredError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { [ssoRequiredBrand]?: boolean })[ssoRequiredBrand] === true;
}

/** The guard's check: throws a `forbidden` SsoRequiredError when the session's sign-in does not meet the workspace's policy. */
export async function assertSessionMayOpenWorkspace(session: { tenantId: string; userId: string; sessionId: string }): Promise<void> {
  const policy = await getWorkspaceSsoPolicy(session.tenantId);
  if (!policy?.requireSso) return;
  if (signInSatisfies(await sessionSignInOf(session.userId, session.sessionId), policy)) return;
  throw new SsoRequiredError("forbidden", describeSsoRequirement(policy));
}

/** For /sso-required: the workspace's name and what its policy asks, or null if the session may open it after all. */
export async function ssoRequirementFor(session: {
  tenantId: string;
  userId: string;
  sessionId: string;
}): Promise<{ workspaceName: string; message: string } | null> {
  const policy = await getWorkspaceSsoPolicy(session.tenantId);
  if (!policy?.requireSso || signInSatisfies(await sessionSignInOf(session.userId, session.sessionId), policy)) return null;
  const [tenant] = await withTenant(session.tenantId, (tx) => tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, session.tenantId)), {
    userId: session.userId,
  });
  return { workspaceName: tenant?.name ?? "This workspace", message: describeSsoRequirement(policy) };
}

/**
 * An admin sets the policy. Turning it on needs the OIDC provider configured and the admin's own
 * session to meet the new policy: otherwise saving it would lock them out of the page that undoes it.
 */
export async function saveWorkspaceSsoPolicy(ctx: TenantContext & { sessionId: string }, input: SsoPolicyInput): Promise<SsoPolicy> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can change the sign-in policy.");
  await admitSso([[ssoThrottle.policy, ctx.tenantId]], "changes of the sign-in policy");
  const policy: SsoPolicy = { requireSso: input.requireSso, emailDomain: input.requireSso ? input.emailDomain : null };
  if (policy.requireSso) {
    const providerName = workspaceSsoProviderName();
    if (!providerName) {
      throw new KeelError("invalid_input", "This server has no OIDC provider configured (KEEL_OIDC_ISSUER and friends), so it cannot require one.");
    }
    if (!signInSatisfies(await sessionSignInOf(ctx.userId, ctx.sessionId), policy)) {
      const domain = policy.emailDomain ? ` with an address at ${policy.emailDomain}` : "";
      throw new KeelError(
        "forbidden",
        `Sign in through ${providerName}${domain} first: this session signed in another way, and the new policy would shut you out of this workspace.`,
      );
    }
  }
  await withTenant(
    ctx.tenantId,
    async (tx) => {
      await tx
        .insert(workspaceSsoPolicies)
        .values({ tenantId: ctx.tenantId, ...policy, updatedBy: ctx.userId, updatedAt: new Date() })
        .onConflictDoUpdate({ target: workspaceSsoPolicies.tenantId, set: { ...policy, updatedBy: ctx.userId, updatedAt: new Date() } });
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "sso_policy.changed",
        targetType: "tenant",
        targetId: ctx.tenantId,
        metadata: { requireSso: policy.requireSso, emailDomain: policy.emailDomain },
      });
    },
    { userId: ctx.userId },
  );
  policies.delete(ctx.tenantId);
  return policy;
}
