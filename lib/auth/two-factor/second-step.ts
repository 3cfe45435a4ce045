// The second half of a sign-in, and the passwordless one. After the right password an account
// with a second factor is not signed in: it gets a challenge (lib/auth/two-factor/challenges.ts)
// and must answer it with a code from its app, a recovery code or one of its passkeys. Each answer
// is counted before it is checked (lib/auth/two-factor/throttle.ts), and a right one spends the
// challenge and the code in one transaction. A passkey alone also signs in, from a challenge of
// its own. Both return the user id; lib/auth/two-factor/providers.ts opens the session.
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { eq } from "drizzle-orm";
import { userPasskeys } from "@/db/schema";
import { withSystem, withUser } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { addressGroup } from "../client-ip";
import { attachWebauthnChallenge, findLiveChallenge, openChallenge, recordChallengeFailure, spendChallenge } from "./challenges";
import { acceptSecondFactorCode } from "./factors";
import { authenticationOptions, verifyPasskeyAssertion } from "./passkeys";
import { admitTwoFactorAttempt, forgiveSecondStep, secondStepCounters } from "./throttle";
import { findTotp } from "./totp";

export const expiredStepMessage = "Your sign-in expired or was already used. Sign in with your password again.";
export const wrongCodeMessage = "That code is not right, or was already used.";
export const wrongPasskeyMessage = "That passkey was not accepted.";

interface SecondStepAnswer {
  /** The secret from the browser's second-step cookie. */
  token: string | null | undefined;
  /** A code from the app (6 digits) or a recovery code. */
  code?: string;
  /** A passkey assertion, as JSON. */
  passkey?: string;
  address: string | null;
}

/** Options for answering the second step with a passkey: the account's own passkeys, a challenge bound to this attempt. */
export async function secondStepPasskeyOptions(
  token: string | null | undefined,
  address: string | null,
  now = new Date(),
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const challenge = await findLiveChallenge(token, "sign_in", now);
  if (!challenge?.userId) throw new KeelError("gone", expiredStepMessage);
  await admitTwoFactorAttempt([["passkeyOptionsFromAddress", address ? addressGroup(address) : "unknown"]], "passkey requests", { now });
  const userId = challenge.userId;
  const options = await withUser(userId, (tx) => authenticationOptions(tx, userId));
  await attachWebauthnChallenge(challenge.id, options.challenge);
  return options;
}

/** Checks the answer to a second step; returns the user id, or throws (counted, and the fifth wrong answer ends the attempt). */
export async function answerSecondStep(answer: SecondStepAnswer, now = new Date()): Promise<string> {
  const challenge = await findLiveChallenge(answer.token, "sign_in", now);
  if (!challenge?.userId) throw new KeelError("gone", expiredStepMessage);
  const userId = challenge.userId;
  await admitTwoFactorAttempt(secondStepCounters(userId, answer.address), "two-factor attempts", { now });

  let accepted = false;
  if (answer.passkey) {
    accepted = Boolean(challenge.webauthnChallenge && (await verifyPasskeyAssertion(answer.passkey, challenge.webauthnChallenge, userId, now)));
    if (accepted) accepted = await withUser(userId, (tx) => spendChallenge(tx, challenge.id, now));
  } else if (answer.code) {
    const code = answer.code;
    // The code and the challenge are spent together: a refused spend (a race) keeps the code.
    accepted = await withUser(userId, async (tx) => {
      if (!(await acceptSecondFactorCode(tx, userId, code, now))) return false;
      if (await spendChallenge(tx, challenge.id, now)) return true;
      throw new KeelError("gone", expiredStepMessage);
    });
  }
  if (!accepted) {
    await recordChallengeFailure(challenge.id);
    const message = answer.passkey ? wrongPasskeyMessage : wrongCodeMessage;
    throw new KeelError("unauthenticated", message, answer.passkey ? {} : { code: message });
  }
  await forgiveSecondStep(userId, answer.address);
  return userId;
}

/** Starts a passwordless passkey sign-in: the secret for the browser's cookie and the options for its authenticator. */
export async function startPasskeySignIn(address: string | null, now = new Date()): Promise<{ token: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  await admitTwoFactorAttempt([["passkeyOptionsFromAddress", address ? addressGroup(address) : "unknown"]], "passkey requests", { now });
  const options = await authenticationOptions(null, null);
  const { token } = await withSystem("passkey sign-in: open a challenge before anyone is known", (tx) =>
    openChallenge(tx, "passkey_sign_in", null, { webauthnChallenge: options.challenge, now }),
  );
  return { token, options };
}

/** Finishes a passwordless passkey sign-in; returns the passkey's owner, or throws. */
export async function finishPasskeySignIn(
  input: { token: string | null | undefined; passkey: string; address: string | null },
  now = new Date(),
): Promise<string> {
  await admitTwoFactorAttempt([["passkeySignInFromAddress", input.address ? addressGroup(input.address) : "unknown"]], "passkey sign-in attempts", { now });
  const challenge = await findLiveChallenge(input.token, "passkey_sign_in", now);
  if (!challenge?.webauthnChallenge) throw new KeelError("gone", "That passkey request expired. Try again.");
  const userId = await verifyPasskeyAssertion(input.passkey, challenge.webauthnChallenge, null, now);
  const spent = userId ? await withSystem("passkey sign-in: spend the challenge", (tx) => spendChallenge(tx, challenge.id, now)) : false;
  if (!userId || !spent) {
    await recordChallengeFailure(challenge.id);
    throw new KeelError("unauthenticated", wrongPasskeyMessage);
  }
  return userId;
}

/** Which answers the second-step page offers this account. */
export async function secondStepMethods(userId: string): Promise<{ totp: boolean; passkeys: boolean }> {
  return withUser(userId, async (tx) => {
    const totp = await findTotp(tx, userId);
    const [passkey] = await tx.select({ id: userPasskeys.id }).from(userPasskeys).where(eq(userPasskeys.userId, userId)).limit(1);
    return { totp: Boolean(totp?.confirmedAt), passkeys: Boolean(passkey) };
  });
}
