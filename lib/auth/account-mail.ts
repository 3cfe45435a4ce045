// Composes and sends the account mails (verification, reset, email change) for a user, with the
// name of their first workspace and links built from AUTH_URL.
import { eq } from "drizzle-orm";
import { memberships, tenants, users, type AccountTokenPurpose } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem } from "@/db/scope";
import { changeEmailMessage, resetPasswordMessage, verifyEmailMessage } from "@/lib/mail/account-messages";
import { appOrigin } from "@/lib/mail/mail-settings";
import { sendMail, type SentMail } from "@/lib/mail/send-mail";
import { checkAccountToken, issueAccountToken, tokenLifetimeMs } from "./account-tokens";

/** Where each kind of link lands (pages under app/(auth)). */
const accountLinkPath: Record<AccountTokenPurpose, string> = {
  verify_email: "/verify-email",
  reset_password: "/reset-password",
  change_email: "/confirm-email",
};

function accountLink(purpose: AccountTokenPurpose, secret: string): string {
  return `${appOrigin()}${accountLinkPath[purpose]}/${secret}`;
}

export interface AccountMailTarget {
  userId: string;
  name: string;
  email: string;
  emailVerified: Date | null;
  workspaceName: string | null;
}

/** The user as a mail needs them, or null: looked up on the system path (the sender may be anonymous). */
export async function findMailTarget(by: { userId: string } | { email: string }, tx?: Tx): Promise<AccountMailTarget | null> {
  const run = async (t: Tx) => {
    const [user] = await t
      .select({ userId: users.id, name: users.name, email: users.email, emailVerified: users.emailVerified })
      .from(users)
      .where("userId" in by ? eq(users.id, by.userId) : eq(users.email, by.email));
    if (!user) return null;
    const [first] = await t
      .select({ name: tenants.name })
      .from(memberships)
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(eq(memberships.userId, user.userId))
      .orderBy(memberships.createdAt)
      .limit(1);
    return { ...user, workspaceName: first?.name ?? null };
  };
  return tx ? run(tx) : withSystem("account mail: find the recipient", run);
}

/**
 * Issues a token and mails its link. `to` is the account's address, or the new one for a change
 * of email. The token is committed before the mail goes out: a link never arrives for a token
 * that does not exist.
 */
export async function mailAccountLink(target: AccountMailTarget, purpose: AccountTokenPurpose, to = target.email): Promise<SentMail> {
  const { secret } = await withSystem(`account mail: issue a ${purpose} token`, (tx) => issueAccountToken(tx, { userId: target.userId, purpose, email: to }));
  const input = { to, name: target.name, workspaceName: target.workspaceName, link: accountLink(purpose, secret), expiresInMs: tokenLifetimeMs[purpose] };
  const message =
    purpose === "verify_email" ? verifyEmailMessage(input) : purpose === "reset_password" ? resetPasswordMessage(input) : changeEmailMessage(input);
  return sendMail(message);
}

/** For the page behind a link: whose it is and for which address, or why it cannot be used. Spends nothing. */
export function checkAccountLink(purpose: AccountTokenPurpose, secret: string): Promise<{ userId: string; email: string }> {
  return withSystem(`account link: check a ${purpose} link`, (tx) => checkAccountToken(tx, purpose, secret));
}
