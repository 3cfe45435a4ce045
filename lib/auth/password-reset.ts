// "Forgot password" (issue 19.2): a single-use link, stored hashed, that expires within the hour,
// throttled per address and per email. The request's answer and its timing are the same whether
// or not the email has an account: the lookup and the mail run after the answer. Choosing the new
// password ends every session of the account.
import { and, eq, sql } from "drizzle-orm";
import { users } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { mailSettings } from "@/lib/mail/mail-settings";
import { mailUnavailableMessage } from "@/lib/mail/send-mail";
import { log } from "@/core/log";
import { admitAccountAttempt, addressKey } from "./account-throttle";
import { findMailTarget, mailAccountLink } from "./account-mail";
import { spendAccountToken } from "./account-tokens";
import { hashPassword as defaultHash } from "./password";
import { revokeOtherSessions } from "./user-sessions";
import type { MailRequestOptions } from "./email-verification";

/** What the form says after every accepted request, account or not. */
export const resetRequestedMessage = "If an account uses that address, a link to choose a new password is on its way. It works once, for 30 minutes.";

export async function requestPasswordReset(email: string, options: MailRequestOptions): Promise<{ pending: Promise<void> }> {
  // Said before anything else, and the same for every address: it tells nothing about accounts.
  if (mailSettings().kind === "none") throw new KeelError("unavailable", mailUnavailableMessage);
  await admitAccountAttempt(
    [
      ["resetFromAddress", addressKey(options.clientAddress)],
      ["resetToEmail", email],
    ],
    "Too many password resets were asked for.",
    options.now,
  );
  const pending = (async () => {
    const target = await findMailTarget({ email });
    if (target) await mailAccountLink(target, "reset_password");
  })().catch((error: unknown) => log.error({ err: error }, "password reset: could not send the link"));
  return { pending };
}

export interface ResetOptions {
  now?: Date;
  hashPassword?: (password: string) => Promise<string>;
}

/**
 * Spends the link and sets the password; every session of the account ends (whoever asked may
 * not be whoever was signed in). Following the link also proves the address.
 */
export async function resetPassword(
  secret: string,
  newPassword: string,
  options: ResetOptions = {},
): Promise<{ userId: string; email: string; revokedSessions: number }> {
  const now = options.now ?? new Date();
  // Hash first (tens of milliseconds): the transaction that spends the token stays short.
  const passwordHash = await (options.hashPassword ?? defaultHash)(newPassword);
  const { userId, email } = await withSystem("password reset: spend the link and set the password", async (tx) => {
    const token = await spendAccountToken(tx, "reset_password", secret, now);
    const updated = await tx
      .update(users)
      .set({ passwordHash, emailVerified: sql`coalesce(${users.emailVerified}, ${now.toISOString()}::timestamptz)` })
      .where(and(eq(users.id, token.userId), eq(users.email, token.email)))
      .returning({ id: users.id });
    if (updated.length === 0) throw new KeelError("gone", "This link is for an address the account no longer uses. Ask for a new one.");
    return token;
  });
  const revokedSessions = await revokeOtherSessions(userId, null);
  return { userId, email, revokedSessions };
}
