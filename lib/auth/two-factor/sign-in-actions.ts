// Server-side sign-in through the two-factor providers for our own forms, as
// lib/auth/sign-in-redirect.ts does for the password: Auth.js redirects on success; a refusal
// becomes a KeelError with a message the form can show.
import { AuthError } from "next-auth";
import { KeelError } from "@/lib/errors";
import { signIn } from "../index";
import { unverifiedEmailMessage } from "../authenticate";
import { expiredStepMessage, wrongCodeMessage, wrongPasskeyMessage } from "./second-step";
import type { TwoFactorRefusal } from "./providers";

const rateLimitedMessage = "Too many attempts. Wait up to 15 minutes, then try again.";

function refusalError(code: TwoFactorRefusal | undefined, provider: "two-factor" | "passkey"): KeelError {
  switch (code) {
    case "rate_limited":
      return new KeelError("rate_limited", rateLimitedMessage);
    case "email_unverified":
      return new KeelError("forbidden", unverifiedEmailMessage);
    case "second_step_expired":
      return new KeelError("gone", provider === "passkey" ? "That passkey request expired. Try again." : expiredStepMessage);
    case "wrong_passkey":
      return new KeelError("unauthenticated", wrongPasskeyMessage);
    default:
      return new KeelError("unauthenticated", wrongCodeMessage, { code: wrongCodeMessage });
  }
}

async function signInThrough(provider: "two-factor" | "passkey", fields: Record<string, string>, redirectTo: string): Promise<void> {
  try {
    await signIn(provider, { ...fields, redirectTo });
  } catch (error) {
    if (error instanceof AuthError && error.type === "CredentialsSignin") {
      throw refusalError((error as AuthError & { code?: TwoFactorRefusal }).code, provider);
    }
    throw error;
  }
}

/** The second step, answered with a code (app or recovery) or a passkey assertion (JSON). */
export function completeSecondStep(answer: { code?: string; passkey?: string }, redirectTo: string): Promise<void> {
  return signInThrough("two-factor", answer.passkey ? { passkey: answer.passkey } : { code: answer.code ?? "" }, redirectTo);
}

/** A passwordless sign-in with a passkey assertion (JSON). */
export function signInWithPasskey(passkey: string, redirectTo: string): Promise<void> {
  return signInThrough("passkey", { passkey }, redirectTo);
}
