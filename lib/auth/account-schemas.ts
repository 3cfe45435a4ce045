// Input schemas of the account forms (verification, reset, password and email changes, sessions).
import { z } from "zod";
import { emailSchema, newPasswordSchema } from "@/lib/tenancy/schemas";
import { accountTokenSchema } from "./account-tokens";

export const emailOnlySchema = z.object({ email: emailSchema });
export const accountTokenFormSchema = z.object({ token: accountTokenSchema });
export const resetPasswordSchema = z.object({ token: accountTokenSchema, password: newPasswordSchema });
export const changePasswordSchema = z.object({
  currentPassword: z.string().min(1, "Enter your current password.").max(200),
  newPassword: newPasswordSchema,
});
export const changeEmailSchema = z.object({
  newEmail: emailSchema,
  password: z.string().min(1, "Enter your current password.").max(200),
});
export const sessionIdSchema = z.object({ sessionId: z.uuid() });
