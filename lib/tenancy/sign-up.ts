// Account creation. A new user either opens their own workspace or joins one by invitation.
// The cheap checks come first and the argon2 hash (about 19 MiB and tens of milliseconds of CPU)
// last: input validation (the caller's zod schema), the per-address sign-up allowance, then
// whether the email is free. Saying that an email is taken lets anyone test whether an address
// has an account (README, "Sign-in and sign-up limits"): the allowance bounds how fast.
import { eq } from "drizzle-orm";
import { users } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem } from "@/db/scope";
import { admitAttempt, throttleKey, type ThrottleRule } from "@/lib/auth/attempt-throttle";
import { addressGroup } from "@/lib/auth/client-ip";
import { hashPassword } from "@/lib/auth/password";
import { KeelError } from "@/lib/errors";
import type { InviteeSignUpInput, SignUpInput } from "./schemas";
import { insertTenantWithOwner, isUniqueViolation } from "./tenants";

const hour = 60 * 60_000;

/** Sign-up attempts per address (IPv6: per /64) and hour, whether or not the email was free. */
/** Sign-ups allowed per address (group) per hour: KEEL_SIGNUPS_PER_ADDRESS_PER_HOUR, default 10. */
function signUpsPerHour(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KEEL_SIGNUPS_PER_ADDRESS_PER_HOUR?.trim();
  if (!raw) return 10;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`KEEL_SIGNUPS_PER_ADDRESS_PER_HOUR must be a whole number of at least 1, not "${raw}"`);
  return value;
}

export const signUpPolicy = {
  name: "signup-address",
  freeAttempts: signUpsPerHour(),
  maxAttempts: signUpsPerHour(),
  windowMs: hour,
  lockMs: hour,
  delayStepMs: 0,
  maxDelayMs: 0,
} satisfies ThrottleRule;

export interface SignUpOptions {
  /** From clientIp(); null when unknown, and then every unknown client shares one allowance. */
  clientAddress: string | null;
  now?: Date;
  /** The password hasher (tests count its calls). */
  hashPassword?: (password: string) => Promise<string>;
}

const emailTaken = () =>
  new KeelError("conflict", "An account with this email already exists.", {
    email: "An account with this email already exists. Sign in instead.",
  });

async function admitSignUp(options: SignUpOptions): Promise<void> {
  const now = options.now ?? new Date();
  const key = throttleKey(signUpPolicy, options.clientAddress ? addressGroup(options.clientAddress) : "unknown");
  const admission = await admitAttempt(key, signUpPolicy, now);
  if (admission.allowed) return;
  const minutes = Math.max(1, Math.ceil((admission.retryAt.getTime() - now.getTime()) / 60_000));
  throw new KeelError("rate_limited", `Too many sign-ups from your network. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
}

/** The cheap checks, in order; the password is hashed only once they pass. */
async function checkBeforeHashing(input: InviteeSignUpInput, options: SignUpOptions): Promise<string> {
  await admitSignUp(options);
  const taken = await withSystem("sign-up: is the email taken", (tx) => tx.select({ id: users.id }).from(users).where(eq(users.email, input.email)));
  if (taken.length > 0) throw emailTaken();
  return (options.hashPassword ?? hashPassword)(input.password);
}

async function insertUser(tx: Tx, input: InviteeSignUpInput, passwordHash: string): Promise<string> {
  try {
    // Savepoint: a duplicate email (two sign-ups racing past the check) must surface as a form
    // error, not abort the transaction.
    const [user] = await tx.transaction((sp) => sp.insert(users).values({ email: input.email, name: input.name, passwordHash }).returning({ id: users.id }));
    return user!.id;
  } catch (error) {
    if (isUniqueViolation(error, "users_email_unique")) throw emailTaken();
    throw error;
  }
}

/** Creates the user, their workspace and their owner membership in one transaction. */
export async function signUp(input: SignUpInput, options: SignUpOptions): Promise<{ userId: string; tenantId: string }> {
  const passwordHash = await checkBeforeHashing(input, options);
  // System path: the user does not exist yet, so no tenant or user context can authorise this.
  return withSystem("sign-up: create user and workspace", async (tx) => {
    const userId = await insertUser(tx, input, passwordHash);
    const tenantId = crypto.randomUUID();
    await insertTenantWithOwner(tx, { tenantId, name: input.workspaceName, ownerId: userId });
    return { userId, tenantId };
  });
}

/** Creates only the user; the caller then accepts the invitation that brought them here. */
export async function signUpInvitee(input: InviteeSignUpInput, options: SignUpOptions): Promise<{ userId: string }> {
  const passwordHash = await checkBeforeHashing(input, options);
  return withSystem("sign-up: create invited user", async (tx) => ({ userId: await insertUser(tx, input, passwordHash) }));
}
