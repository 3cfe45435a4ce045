// Input schemas of the two-factor forms and actions.
import { z } from "zod";

export const secondFactorCodeSchema = z.object({
  code: z.string().trim().min(1, "Enter the code from your app, or a recovery code.").max(64),
  callbackUrl: z.string().max(2048).optional(),
});
export const confirmTotpSchema = z.object({ code: z.string().trim().min(1, "Enter the 6-digit code from your app.").max(16) });
export const ownerProofSchema = z.object({ proof: z.string().min(1, "Enter your password or a current code from your app.").max(200) });
export const passkeyAnswerSchema = z.object({ passkey: z.string().min(1).max(64_000), callbackUrl: z.string().max(2048).optional() });
export const finishPasskeyRegistrationSchema = z.object({
  challengeId: z.uuid(),
  name: z.string().trim().min(1, "Name this passkey (for example, “Work laptop”).").max(60, "Keep the name under 60 characters."),
  response: z.string().min(1).max(64_000),
});
export const removePasskeySchema = z.object({ passkeyId: z.uuid(), proof: z.string().max(200).optional() });
export const twoFactorRequirementSchema = z.object({ required: z.enum(["on", "off"]) });
