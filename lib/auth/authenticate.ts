// Checks an email and password, under sign-in throttling. Every failure, for an unknown email or
// a wrong password, gives the same message after the same work.
import { eq } from "drizzle-orm";
import { memberships, users, type MemberRole } from "@/db/schema";
import type { Db } from "@/db/client";
import { withSystem } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { decoyPasswordHash, verifyPassword } from "./password";
import { checkSignInThrottle, clearSignInFailures, recordSignInFailure, throttleKeys } from "./sign-in-throttle";

export interface AuthenticatedUser {
  id: string;
  email: string;
  name: string;
  /** The tenant to open first (their earliest membership), or null if they belong to none. */
  tenantId: string | null;
  role: MemberRole | null;
}

export const invalidCredentialsMessage = "Email or password is incorrect.";

export interface AuthenticateOptions {
  ip?: string | null;
  now?: Date;
  sleep?: (ms: number) => Promise<void>;
  db?: Db;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function authenticate(email: string, password: string, options: AuthenticateOptions = {}): Promise<AuthenticatedUser> {
  const { now = new Date(), sleep = realSleep, db } = options;
  const normalisedEmail = email.trim().toLowerCase();
  const keys = throttleKeys(normalisedEmail, options.ip ?? null);
  const allKeys = keys.ip ? [keys.email, keys.ip] : [keys.email];

  const { delayMs } = await checkSignInThrottle(allKeys, now, db);
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
  if (!found || !passwordOk) {
    await recordSignInFailure(allKeys, now, db);
    throw new KeelError("unauthenticated", invalidCredentialsMessage);
  }
  await clearSignInFailures(keys.email, db);
  return {
    id: found.user.id,
    email: found.user.email,
    name: found.user.name,
    tenantId: found.first?.tenantId ?? null,
    role: found.first?.role ?? null,
  };
}
