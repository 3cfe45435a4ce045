// Input schemas shared by server actions, route handlers and tests.
import { z } from "zod";
import { memberRoles } from "@/db/schema";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "Enter your email address.")
  .max(254, "That email address is too long.")
  .pipe(z.email("Enter a valid email address."));

export const newPasswordSchema = z.string().min(10, "Use at least 10 characters.").max(200, "Use at most 200 characters.");

/** Names are shown and stored as text: control characters (a NUL, which PostgreSQL cannot store) are refused. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const noControlCharacters = (value: string) => !CONTROL_CHARACTERS.test(value);
const NO_CONTROL_CHARACTERS = "Remove the control characters (such as line breaks or NUL).";

const personNameSchema = z
  .string()
  .trim()
  .min(1, "Enter your name.")
  .max(100, "Use at most 100 characters.")
  .refine(noControlCharacters, NO_CONTROL_CHARACTERS);
const workspaceNameSchema = z
  .string()
  .trim()
  .min(2, "Use at least 2 characters.")
  .max(80, "Use at most 80 characters.")
  .refine(noControlCharacters, NO_CONTROL_CHARACTERS);

export const signUpSchema = z.object({
  name: personNameSchema,
  email: emailSchema,
  password: newPasswordSchema,
  workspaceName: workspaceNameSchema,
});
export type SignUpInput = z.infer<typeof signUpSchema>;

/** Sign-up through an invitation joins the inviting workspace instead of creating one. */
export const inviteeSignUpSchema = signUpSchema.omit({ workspaceName: true });
export type InviteeSignUpInput = z.infer<typeof inviteeSignUpSchema>;

export const signInSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, "Enter your password.").max(200),
});

const roleSchema = z.enum(memberRoles, "Choose a role.");
/** Invitations never create owners: ownership is handed over by changing a member's role. */
const invitableRoleSchema = z.enum(["admin", "member"], "Choose a role.");

export const createInvitationSchema = z.object({
  role: invitableRoleSchema,
  expiresInDays: z.coerce.number().int().min(1, "At least 1 day.").max(30, "At most 30 days."),
  /** Optional: with an address the link is emailed; without one it is shown to copy. */
  email: z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), emailSchema.optional()),
});

export const changeRoleSchema = z.object({ userId: z.uuid(), role: roleSchema });
export const memberSchema = z.object({ userId: z.uuid() });
export const invitationIdSchema = z.object({ invitationId: z.uuid() });
export const tenantIdSchema = z.object({ tenantId: z.uuid() });
export const renameTenantSchema = z.object({ name: workspaceNameSchema });
export const createWorkspaceSchema = z.object({ workspaceName: workspaceNameSchema });

export const apiKeyNameSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Name the key, e.g. after the app that uses it.")
    .max(60, "Use at most 60 characters.")
    .refine(noControlCharacters, NO_CONTROL_CHARACTERS),
});
export const apiKeyIdSchema = z.object({ apiKeyId: z.uuid() });
export const noticeIdSchema = z.object({ noticeId: z.uuid() });
