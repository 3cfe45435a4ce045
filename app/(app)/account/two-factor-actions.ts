"use server";
// A person's own second factors, from Your account and from the set-up page a workspace that
// requires two factors sends its members to: both need only a signed-in user, not a workspace.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { confirmTotpSetup, regenerateRecoveryCodes, startTotpSetup, turnOffTotp } from "@/lib/auth/two-factor/factors";
import { finishPasskeyRegistration, removePasskey, startPasskeyRegistration } from "@/lib/auth/two-factor/passkeys";
import { confirmTotpSchema, finishPasskeyRegistrationSchema, ownerProofSchema, removePasskeySchema } from "@/lib/auth/two-factor/schemas";
import { findMailTarget } from "@/lib/auth/account-mail";
import { KeelError } from "@/lib/errors";
import { userAction } from "@/lib/http/tenant-action";

const codesResult = (codes: string[] | null) => (codes ? { recoveryCodes: codes.join("\n") } : undefined);

export const startTotpSetupAction = userAction(z.object({}), async (_input, user) => {
  const setup = await startTotpSetup(user);
  return { ok: true, result: { secret: setup.secret, uri: setup.uri, qrDataUrl: setup.qrDataUrl } };
});

export const confirmTotpSetupAction = userAction(confirmTotpSchema, async ({ code }, user) => {
  // No revalidation here: the form shows the recovery codes once and refreshes the page when they are saved.
  const { recoveryCodes } = await confirmTotpSetup(user, code);
  return { ok: true, message: "Your authenticator app is on. Signing in now asks for a code from it.", result: codesResult(recoveryCodes) };
});

export const turnOffTotpAction = userAction(ownerProofSchema, async ({ proof }, user) => {
  await turnOffTotp(user, proof);
  revalidatePath("/account");
  return { ok: true, message: "Your authenticator app is off." };
});

export const regenerateRecoveryCodesAction = userAction(ownerProofSchema, async ({ proof }, user) => {
  const codes = await regenerateRecoveryCodes(user, proof);
  return { ok: true, message: "New recovery codes: the old ones no longer work.", result: codesResult(codes) };
});

export const startPasskeyRegistrationAction = userAction(z.object({}), async (_input, user) => {
  const me = await findMailTarget({ userId: user.userId });
  if (!me) throw new KeelError("unauthenticated", "Sign in to continue.");
  const { challengeId, options } = await startPasskeyRegistration({ userId: user.userId, email: me.email, name: me.name });
  return { ok: true, result: { challengeId, options: JSON.stringify(options) } };
});

export const finishPasskeyRegistrationAction = userAction(finishPasskeyRegistrationSchema, async (input, user) => {
  const me = await findMailTarget({ userId: user.userId });
  if (!me) throw new KeelError("unauthenticated", "Sign in to continue.");
  const { recoveryCodes } = await finishPasskeyRegistration({ userId: user.userId, email: me.email, name: me.name }, input);
  return { ok: true, message: `Passkey “${input.name}” added.`, result: codesResult(recoveryCodes) };
});

export const removePasskeyAction = userAction(removePasskeySchema, async ({ passkeyId, proof }, user) => {
  await removePasskey(user, passkeyId, proof);
  revalidatePath("/account");
});
