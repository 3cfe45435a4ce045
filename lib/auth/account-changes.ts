// A signed-in person changes their own password or email (issue 19.2). Both need the current
// password (a session left open on a shared computer is not enough), counted per user. A new
// password ends every other session; a new email takes effect only once a link mailed to it is
// followed, and is verified by that.
import { eq } from "drizzle-orm";
import { users } from "@/db/schema";
import { withSystem, withUser } from "@/db/scope";
import { isUniqueViolation } from "@/lib/tenancy/tenants";
import { KeelError } from "@/lib/errors";
import { admitAccountAttempt } from "./account-throttle";
import { findMailTarget, mailAccountLink } from "./account-mail";
import { spendAccountToken } from "./account-tokens";
import { hashPassword, verifyPassword } from "./password";
import { revokeOtherSessions } from "./user-sessions";

export interface AccountActor {
  userId: string;
  /** The session making the change: it stays signed in. */
  sessionId: string;
}

const wrongPassword = () => new KeelError("invalid_input", "Your current password is incorrect.", { currentPassword: "Your current password is incorrect." });

async function checkCurrentPassword(userId: string, password: string, now: Date): Promise<void> {
  await admitAccountAttempt([["passwordCheck", userId]], "Too many attempts with the current password.", now);
  const [row] = await withUser(userId, (tx) => tx.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)));
  if (!row || !(await verifyPassword(row.passwordHash, password))) throw wrongPassword();
}

/** Sets a new password and signs out every other session. Returns how many were ended. */
export async function changePassword(actor: AccountActor, input: { currentPassword: string; newPassword: string }, now = new Date()): Promise<number> {
  await checkCurrentPassword(actor.userId, input.currentPassword, now);
  if (input.currentPassword === input.newPassword) {
    throw new KeelError("invalid_input", "Choose a password different from the current one.", { newPassword: "Choose a different password." });
  }
  const passwordHash = await hashPassword(input.newPassword);
  await withUser(actor.userId, (tx) => tx.update(users).set({ passwordHash }).where(eq(users.id, actor.userId)));
  return revokeOtherSessions(actor.userId, actor.sessionId);
}

/**
 * Mails a confirmation link to the new address. Nothing changes until it is followed. Saying
 * that an address is taken tells a signed-in, throttled user that it has an account: the same
 * as sign-up says (README, "Sign-in and sign-up limits").
 */
export async function requestEmailChange(actor: AccountActor, input: { newEmail: string; password: string }, now = new Date()): Promise<void> {
  await checkCurrentPassword(actor.userId, input.password, now);
  await admitAccountAttempt([["emailChange", actor.userId]], "Too many email changes were asked for.", now);
  const target = await findMailTarget({ userId: actor.userId });
  if (!target) throw new KeelError("unauthenticated", "Sign in to continue.");
  if (target.email === input.newEmail)
    throw new KeelError("invalid_input", "That is already your email address.", { newEmail: "That is already your address." });
  const taken = await withSystem("email change: is the new address taken", (tx) =>
    tx.select({ id: users.id }).from(users).where(eq(users.email, input.newEmail)),
  );
  if (taken.length > 0) throw new KeelError("conflict", "Another account uses that address.", { newEmail: "Another account uses that address." });
  await mailAccountLink(target, "change_email", input.newEmail);
}

/** Follows the link mailed to the new address: the account moves to it, verified. */
export async function confirmEmailChange(secret: string, now = new Date()): Promise<{ userId: string; email: string }> {
  try {
    return await withSystem("email change: spend the link and move the account", async (tx) => {
      const token = await spendAccountToken(tx, "change_email", secret, now);
      // The address may have been taken since the request: the unique index refuses, the token stays unspent.
      await tx.update(users).set({ email: token.email, emailVerified: now }).where(eq(users.id, token.userId));
      return token;
    });
  } catch (error) {
    if (isUniqueViolation(error, "users_email_unique")) throw new KeelError("conflict", "Another account took that address in the meantime.");
    throw error;
  }
}
