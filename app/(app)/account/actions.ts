"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { changeEmailSchema, changePasswordSchema, sessionIdSchema } from "@/lib/auth/account-schemas";
import { changePassword, requestEmailChange } from "@/lib/auth/account-changes";
import { KeelError } from "@/lib/errors";
import { userAction } from "@/lib/http/tenant-action";
import { revokeOtherSessions, revokeSession } from "@/lib/auth/user-sessions";

export const changePasswordAction = userAction(changePasswordSchema, async (input, user) => {
  const ended = await changePassword(user, input);
  revalidatePath("/account");
  return { ok: true, message: `Password changed.${ended > 0 ? ` ${ended} other session${ended === 1 ? " was" : "s were"} signed out.` : ""}` };
});

export const changeEmailAction = userAction(changeEmailSchema, async (input, user) => {
  await requestEmailChange(user, input);
  return { ok: true, message: `We sent a link to ${input.newEmail}. Your address changes once you follow it.` };
});

export const signOutSessionAction = userAction(sessionIdSchema, async ({ sessionId }, user) => {
  // This device signs out with the sign-out button, which also clears its cookie.
  if (sessionId === user.sessionId) throw new KeelError("invalid_input", "Use “Sign out” to end the session on this device.");
  await revokeSession(user.userId, sessionId);
  revalidatePath("/account");
});

export const signOutOtherSessionsAction = userAction(z.object({}), async (_input, user) => {
  const ended = await revokeOtherSessions(user.userId, user.sessionId);
  revalidatePath("/account");
  return { ok: true, message: `${ended} other session${ended === 1 ? "" : "s"} signed out.` };
});
