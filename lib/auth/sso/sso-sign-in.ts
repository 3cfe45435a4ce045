// Signing in through a provider (issue 19.4). The identity is looked up by (provider, subject);
// the first time, it links to an existing Keel account only when the provider vouches for the
// address AND the Keel account has confirmed that same address; otherwise it is refused, so an
// account is never taken over by someone who merely typed its address somewhere. A person Keel
// does not know yet gets an account with a confirmed address and no workspace: they create one or
// accept an invitation next. Every sign-in opens a user_sessions row that says how it signed in.
import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { memberships, ssoIdentities, users, type MemberRole } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem } from "@/db/scope";
import { isKeelError, KeelError } from "@/lib/errors";
import { isUniqueViolation } from "@/lib/tenancy/tenants";
import { hashPassword } from "../password";
import { startSession, type SessionOrigin } from "../user-sessions";
import type { ProviderIdentity } from "./provider-identity";
import type { ThrottleRule } from "../attempt-throttle";
import { addressKey, admitSso, ssoThrottle } from "./sso-throttle";

type SsoRefusalCode = "no_email" | "provider_email_unverified" | "account_email_unverified";

/** The words the sign-in page shows for each refusal (its `?sso=` parameter). */
export const ssoRefusalMessages: Record<SsoRefusalCode | "rate_limited" | "failed", string> = {
  no_email: "Your sign-in provider did not share an email address with Keel, so Keel cannot tell who you are.",
  provider_email_unverified:
    "Your sign-in provider has not confirmed your email address, so Keel cannot link it to an account or open one. Confirm it with the provider first.",
  account_email_unverified:
    "A Keel account with this email exists but has not confirmed its address, so it cannot be linked to single sign-on. Sign in with your password and confirm your email first.",
  rate_limited: "Too many single sign-on attempts from your network. Wait up to 15 minutes, then try again.",
  failed: "Single sign-on did not complete. Try again, or sign in with your email and password.",
};

class SsoRefused extends KeelError {
  constructor(readonly refusal: SsoRefusalCode) {
    super("forbidden", ssoRefusalMessages[refusal]);
  }
}

/** The refusal code of an error thrown by signInWithProvider, or null for anything else. */
export function ssoRefusalOf(error: unknown): SsoRefusalCode | "rate_limited" | null {
  if (error instanceof SsoRefused) return error.refusal;
  if (isKeelError(error) && error.code === "rate_limited") return "rate_limited";
  return null;
}

interface SsoSignedIn {
  userId: string;
  email: string;
  name: string;
  tenantId: string | null;
  role: MemberRole | null;
  sessionId: string;
  /** How the user was found: by an identity linked before, by linking a confirmed address now, or newly created. */
  outcome: "signed_in" | "linked" | "created";
}

interface SsoSignInOptions {
  ip?: string | null;
  userAgent?: string | null;
  now?: Date;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Found = { user: typeof users.$inferSelect; outcome: SsoSignedIn["outcome"] };

async function findLinkedUser(tx: Tx, identity: ProviderIdentity): Promise<typeof users.$inferSelect | null> {
  const [row] = await tx
    .select({ user: users })
    .from(ssoIdentities)
    .innerJoin(users, eq(users.id, ssoIdentities.userId))
    .where(and(eq(ssoIdentities.provider, identity.provider), eq(ssoIdentities.providerAccountId, identity.providerAccountId)));
  return row?.user ?? null;
}

async function link(tx: Tx, userId: string, identity: ProviderIdentity): Promise<void> {
  await tx.insert(ssoIdentities).values({ userId, provider: identity.provider, providerAccountId: identity.providerAccountId, email: identity.email });
}

/** Finds, links or creates the Keel user; throws SsoRefused when the rule says no. */
async function resolveUser(tx: Tx, identity: ProviderIdentity, now: Date): Promise<Found> {
  const linked = await findLinkedUser(tx, identity);
  if (linked) {
    await tx
      .update(ssoIdentities)
      .set({ lastUsedAt: now, email: identity.email })
      .where(and(eq(ssoIdentities.provider, identity.provider), eq(ssoIdentities.providerAccountId, identity.providerAccountId)));
    return { user: linked, outcome: "signed_in" };
  }
  if (!identity.email) throw new SsoRefused("no_email");
  if (!identity.emailVerified) throw new SsoRefused("provider_email_unverified");
  const [existing] = await tx.select().from(users).where(eq(users.email, identity.email));
  if (existing) {
    if (!existing.emailVerified) throw new SsoRefused("account_email_unverified");
    await link(tx, existing.id, identity);
    return { user: existing, outcome: "linked" };
  }
  // No password anyone knows: a random one, hashed like any other, so a password attempt on this
  // account costs the same as on any other. "Forgot password" can set a real one later.
  const passwordHash = await hashPassword(randomBytes(32).toString("base64url"));
  const [created] = await tx
    .insert(users)
    .values({ email: identity.email, name: identity.name || identity.email.split("@")[0]!, emailVerified: now, passwordHash })
    .returning();
  await link(tx, created!.id, identity);
  return { user: created!, outcome: "created" };
}

export async function signInWithProvider(identity: ProviderIdentity, options: SsoSignInOptions = {}): Promise<SsoSignedIn> {
  const { now = new Date(), sleep = realSleep } = options;
  const counters: Array<[ThrottleRule, string]> = [
    [ssoThrottle.callback, addressKey(options.ip ?? null)],
    [ssoThrottle.identity, `${identity.provider}\n${identity.providerAccountId}`],
  ];
  if (identity.email) counters.push([ssoThrottle.identity, `email\n${identity.email}`]);
  const delayMs = await admitSso(counters, "single sign-on attempts", now);
  if (delayMs > 0) await sleep(delayMs);

  const attempt = () =>
    withSystem("sso: find, link or create the user of a provider identity", async (tx) => {
      const found = await resolveUser(tx, identity, now);
      const [first] = await tx
        .select({ tenantId: memberships.tenantId, role: memberships.role })
        .from(memberships)
        .where(eq(memberships.userId, found.user.id))
        .orderBy(memberships.createdAt)
        .limit(1);
      return { ...found, first };
    });
  let resolved: Awaited<ReturnType<typeof attempt>>;
  try {
    resolved = await attempt();
  } catch (error) {
    // Two first sign-ins of one person at once: the other one linked or created it; find that.
    if (!isUniqueViolation(error, "sso_identities_provider_account_unique") && !isUniqueViolation(error, "users_email_unique")) throw error;
    resolved = await attempt();
  }

  const origin: SessionOrigin = { ip: options.ip, userAgent: options.userAgent, signedInWith: { method: identity.provider, email: identity.email } };
  const sessionId = await startSession(resolved.user.id, origin);
  return {
    userId: resolved.user.id,
    email: resolved.user.email,
    name: resolved.user.name,
    tenantId: resolved.first?.tenantId ?? null,
    role: resolved.first?.role ?? null,
    sessionId,
    outcome: resolved.outcome,
  };
}
