"use server";
import { redirect } from "next/navigation";
import { z } from "zod";
import { accountTokenFormSchema, emailOnlySchema, resetPasswordSchema } from "@/lib/auth/account-schemas";
import { resendVerification, sendVerificationEmail, verifyEmail } from "@/lib/auth/email-verification";
import { requestPasswordReset, resetPassword, resetRequestedMessage } from "@/lib/auth/password-reset";
import { confirmEmailChange } from "@/lib/auth/account-changes";
import { signInAndRedirect } from "@/lib/auth/sign-in-redirect";
import { requestClientAddress } from "@/lib/http/client-address";
import { publicAction } from "@/lib/http/tenant-action";
import { safeRedirectPath } from "@/lib/http/safe-redirect";
import { emailVerificationRequired } from "@/lib/mail/mail-settings";
import { log } from "@/core/log";
import { signInSchema, signUpSchema } from "@/lib/tenancy/schemas";
import { signUp } from "@/lib/tenancy/sign-up";

export const signInAction = publicAction(signInSchema.extend({ callbackUrl: z.string().optional() }), async (input) => {
  await signInAndRedirect(input.email, input.password, safeRedirectPath(input.callbackUrl));
});

export const signUpAction = publicAction(signUpSchema, async (input) => {
  const clientAddress = await requestClientAddress();
  const { userId } = await signUp(input, { clientAddress });
  const required = emailVerificationRequired();
  try {
    await sendVerificationEmail(userId, { clientAddress });
  } catch (error) {
    // The account exists either way; the person can ask for the link again from /verify-email.
    log.warn({ err: error }, "sign-up: could not send the verification email");
    if (required) redirect("/verify-email?sent=0");
  }
  if (required) redirect("/verify-email?sent=1");
  await signInAndRedirect(input.email, input.password, "/chat");
});

/** "Send the confirmation link again": the same answer whatever the address. */
export const resendVerificationAction = publicAction(emailOnlySchema, async ({ email }) => {
  await resendVerification(email, { clientAddress: await requestClientAddress() });
  return { ok: true, message: "If that address has an account waiting for confirmation, a new link is on its way." };
});

export const verifyEmailAction = publicAction(accountTokenFormSchema, async ({ token }) => {
  await verifyEmail(token);
  redirect("/sign-in?verified=1");
});

export const forgotPasswordAction = publicAction(emailOnlySchema, async ({ email }) => {
  await requestPasswordReset(email, { clientAddress: await requestClientAddress() });
  return { ok: true, message: resetRequestedMessage };
});

export const resetPasswordAction = publicAction(resetPasswordSchema, async ({ token, password }) => {
  await resetPassword(token, password);
  redirect("/sign-in?reset=1");
});

export const confirmEmailChangeAction = publicAction(accountTokenFormSchema, async ({ token }) => {
  await confirmEmailChange(token);
  redirect("/account?email-changed=1");
});
