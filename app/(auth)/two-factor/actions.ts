"use server";
// The second step of a sign-in, and the passwordless passkey sign-in. The attempt is named by the
// HttpOnly cookie set after the right password (or when the passkey ceremony began), never by the form.
import { cookies } from "next/headers";
import { z } from "zod";
import { passkeySignInCookie, secondStepCookie } from "@/lib/auth/two-factor/challenges";
import { setStepCookie } from "@/lib/auth/two-factor/providers";
import { passkeyAnswerSchema, secondFactorCodeSchema } from "@/lib/auth/two-factor/schemas";
import { secondStepPasskeyOptions, startPasskeySignIn } from "@/lib/auth/two-factor/second-step";
import { completeSecondStep, signInWithPasskey } from "@/lib/auth/two-factor/sign-in-actions";
import { publicOrigin } from "@/lib/http/origin";
import { requestClientAddress } from "@/lib/http/client-address";
import { publicAction } from "@/lib/http/tenant-action";
import { safeRedirectPath } from "@/lib/http/safe-redirect";

export const secondStepCodeAction = publicAction(secondFactorCodeSchema, async ({ code, callbackUrl }) => {
  await completeSecondStep({ code }, safeRedirectPath(callbackUrl));
});

export const secondStepPasskeyOptionsAction = publicAction(z.object({}), async () => {
  const token = (await cookies()).get(secondStepCookie)?.value;
  const options = await secondStepPasskeyOptions(token, await requestClientAddress());
  return { ok: true, result: { options: JSON.stringify(options) } };
});

export const secondStepPasskeyAction = publicAction(passkeyAnswerSchema, async ({ passkey, callbackUrl }) => {
  await completeSecondStep({ passkey }, safeRedirectPath(callbackUrl));
});

export const passkeySignInOptionsAction = publicAction(z.object({}), async () => {
  const { token, options } = await startPasskeySignIn(await requestClientAddress());
  await setStepCookie(passkeySignInCookie, token, new URL(await publicOrigin()).protocol === "https:");
  return { ok: true, result: { options: JSON.stringify(options) } };
});

export const passkeySignInAction = publicAction(passkeyAnswerSchema, async ({ passkey, callbackUrl }) => {
  await signInWithPasskey(passkey, safeRedirectPath(callbackUrl));
});
