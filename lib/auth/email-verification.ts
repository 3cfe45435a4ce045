// Email verification (issue 19.2): a link mailed at sign-up (and on request) proves the address.
// Whether an unverified account may sign in is KEEL_REQUIRE_EMAIL_VERIFICATION's call
// (lib/mail/mail-settings.ts); operator rights need a verified address either way.
import { and, eq, isNull } from "drizzle-orm";
import { users } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { mailSettings } from "@/lib/mail/mail-settings";
import { mailUnavailableMessage } from "@/lib/mail/send-mail";
import { log } from "@/core/log";
import { admitAccountAttempt, addressKey } from "./account-throttle";
import { findMailTarget, mailAccountLink } from "./account-mail";
import { spendAccountToken } from "./account-tokens";

const tooMany = "Too many confirmation emails were asked for.";

export interface MailRequestOptions {
  /** From clientIp(); null when unknown. */
  clientAddress: string | null;
  now?: Date;
}

/** Sets the address as verified, if it is still the account's. */
export async function markEmailVerified(tx: Tx, userId: string, email: string, now = new Date()): Promise<boolean> {
  const updated = await tx
    .update(users)
    .set({ emailVerified: now })
    .where(and(eq(users.id, userId), eq(users.email, email), isNull(users.emailVerified)))
    .returning({ id: users.id });
  return updated.length > 0;
}

/** Mails a verification link to a new account (sign-up, or an invitee from a copied link), within the per-email limit. */
export async function sendVerificationEmail(userId: string, options: MailRequestOptions): Promise<void> {
  // A server without mail (allowed only when verification is optional) has nothing to send.
  if (mailSettings().kind === "none") return;
  const target = await findMailTarget({ userId });
  if (!target || target.emailVerified) return;
  // The account's creation was already counted per address (the sign-up throttle): counting its
  // first mail there too would leave the eleventh person of one office network without a link.
  await admitAccountAttempt([["verifyToEmail", target.email]], tooMany, options.now);
  await mailAccountLink(target, "verify_email");
}

/**
 * "Send the link again", from the sign-in page: anyone may ask for any email, so the answer is
 * the same whether it has an account, is verified already, or does not exist, and the lookup and
 * the mail happen after the answer (`pending`, which tests await), so its timing says nothing either.
 */
export async function resendVerification(email: string, options: MailRequestOptions): Promise<{ pending: Promise<void> }> {
  // Said before anything else, and the same for every address: it tells nothing about accounts.
  if (mailSettings().kind === "none") throw new KeelError("unavailable", mailUnavailableMessage);
  await admitAccountAttempt(
    [
      ["verifyFromAddress", addressKey(options.clientAddress)],
      ["verifyToEmail", email],
    ],
    tooMany,
    options.now,
  );
  const pending = (async () => {
    const target = await findMailTarget({ email });
    if (target && !target.emailVerified) await mailAccountLink(target, "verify_email");
  })().catch((error: unknown) => log.error({ err: error }, "verification: could not send the link"));
  return { pending };
}

/** Follows a verification link: spends it and marks the address verified. */
export async function verifyEmail(secret: string, now = new Date()): Promise<{ userId: string; email: string }> {
  return withSystem("verification: spend the link", async (tx) => {
    const token = await spendAccountToken(tx, "verify_email", secret, now);
    const [user] = await tx.select({ email: users.email, emailVerified: users.emailVerified }).from(users).where(eq(users.id, token.userId));
    // The account moved to another address since: this link proves nothing about the current one.
    if (!user || user.email !== token.email) throw new KeelError("gone", "This link is for an address the account no longer uses.");
    await markEmailVerified(tx, token.userId, token.email, now);
    return token;
  });
}
