// Checks an email and password, under sign-in throttling (lib/auth/sign-in-throttle.ts: the
// attempt is counted before the password is checked). Every failure, for an unknown email or a
// wrong password, gives the same message after the same work.
import { eq } from "drizzle-orm";
import { memberships, users, type MemberRole } from "@/db/schema";
import type { Db } from "@/db/client";
import { withSystem } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { emailVerificationRequired } from "@/lib/mail/mail-settings";
import { decoyPasswordHash, verifyPassword } from "./password";
import { issueKnownDeviceToken, verifyKnownDeviceToken } from "./known-device";
import { admitSignIn, normaliseEmail, settleSuccessfulSignIn, signInCounters } from "./sign-in-throttle";

export interface AuthenticatedUser {
  id: string;
  email: string;
  name: string;
  /** The tenant to open first (their earliest membership), or null if they belong to none. */
  tenantId: string | null;
  role: MemberRole | null;
  /** A fresh known-device token for this browser (set it as a cookie), or null without a secret. */
  knownDeviceToken: string | null;
}

export const invalidCredentialsMessage = "Email or password is incorrect.";
/** Shown only after the right password: it tells nothing to someone who does not know it. */
export const unverifiedEmailMessage = "Confirm your email address first: follow the link we sent you, or ask for a new one.";

export interface AuthenticateOptions {
  /** The client's address, from clientIp(); null or absent when unknown. */
  ip?: string | null;
  /** The known-device token the browser presented, if any. */
  knownDeviceToken?: string | null;
  /** Refuse an account whose address is not verified yet (default: KEEL_REQUIRE_EMAIL_VERIFICATION). */
  requireVerifiedEmail?: boolean;
  /** Signs known-device tokens (default: AUTH_SECRET); without one, none are issued or accepted. */
  secret?: string | null;
  now?: Date;
  sleep?: (ms: number) => Promise<void>;
  db?: Db;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function authenticate(email: string, password: string, options: AuthenticateOptions = {}): Promise<AuthenticatedUser> {
  const { now = new Date(), sleep = realSleep, db } = options;
  const secret = options.secret === undefined ? (process.env.AUTH_SECRET ?? null) : options.secret;
  const normalisedEmail = normaliseEmail(email);
  const knownDeviceId = secret ? verifyKnownDeviceToken(options.knownDeviceToken, normalisedEmail, secret, now) : null;
  const counters = signInCounters(normalisedEmail, { address: options.ip ?? null, knownDeviceId });

  const { delayMs } = await admitSignIn(counters, now, db);
  if (delayMs > 0) await sleep(delayMs);

  // Sign-in happens before any tenant or user is known: a system-path lookup by email.
  const found = await withSystem(
    "sign-in: look up user by email",
    async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.email, normalisedEmail));
      if (!user) return null;
      const [first] = await tx
        .select({ tenantId: memberships.tenantId, role: memberships.role })
        .from(memberships)
        .where(eq(memberships.userId, user.id))
        .orderBy(memberships.createdAt)
        .limit(1);
      return { user, first };
    },
    { db },
  );

  const passwordOk = await verifyPassword(found?.user.passwordHash ?? (await decoyPasswordHash()), password);
  // The attempt is already counted: a failure has nothing more to record.
  if (!found || !passwordOk) throw new KeelError("unauthenticated", invalidCredentialsMessage);
  await settleSuccessfulSignIn(counters, db);
  if ((options.requireVerifiedEmail ?? emailVerificationRequired()) && !found.user.emailVerified) {
    throw new KeelError("forbidden", unverifiedEmailMessage);
  }
  return {
    id: found.user.id,
    email: found.user.email,
    name: found.user.name,
    tenantId: found.first?.tenantId ?? null,
    role: found.first?.role ?? null,
    knownDeviceToken: secret ? issueKnownDeviceToken(normalisedEmail, secret, now) : null,
  };
}
