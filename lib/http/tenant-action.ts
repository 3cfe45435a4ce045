// Builds server actions that validate their form with zod and run behind the tenant guard.
// Who may call each action is visible where it is declared: `tenantAction(schema, { role }, fn)`.
import { redirect, unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import { requireOperator, requireTenant, requireUser, type EntryPointGuard, type SignedInUser } from "@/lib/auth/guard";
import type { OperatorContext } from "@/lib/auth/operator";
import { isKeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import type { ActionState } from "./action-state";
import { log } from "@/core/log";

// Never echoed back into a form: passwords, link secrets, second-factor codes and passkey answers.
const secretFields = new Set(["password", "currentPassword", "newPassword", "token", "code", "proof", "passkey", "response"]);

function formValues(formData: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of formData.entries()) {
    if (typeof value === "string" && !key.startsWith("$") && !secretFields.has(key)) values[key] = value;
  }
  return values;
}

function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const fieldErrors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    fieldErrors[field] ??= issue.message;
  }
  return fieldErrors;
}

/** Turns a thrown error into form state; redirects and other framework signals pass through. */
function failureState(error: unknown, values: Record<string, string>): ActionState {
  unstable_rethrow(error);
  if (isKeelError(error)) {
    return { ok: false, message: error.message, fieldErrors: error.fieldErrors, values };
  }
  log.error({ err: error }, "server action failed");
  return { ok: false, message: "Something went wrong on our side. Please try again.", values };
}

/** The guard runs first: an anonymous or unauthorised caller learns nothing from validation. */
function guardedAction<S extends z.ZodType, C>(schema: S, authorize: () => Promise<C>, handler: (input: z.infer<S>, ctx: C) => Promise<ActionState | void>) {
  return async (_previous: ActionState, formData: FormData): Promise<ActionState> => {
    const values = formValues(formData);
    try {
      const ctx = await authorize().catch((error: unknown) => {
        // No session (expired, signed out in another tab): back to sign-in, not a form error.
        if (isKeelError(error) && error.code === "unauthenticated") redirect("/sign-in");
        throw error;
      });
      const parsed = schema.safeParse(Object.fromEntries(formData));
      if (!parsed.success) return { ok: false, message: "Please correct the highlighted fields.", fieldErrors: fieldErrorsOf(parsed.error), values };
      return (await handler(parsed.data, ctx)) ?? { ok: true };
    } catch (error) {
      return failureState(error, values);
    }
  };
}

/** For forms anyone may submit (sign-up, sign-in). */
export function publicAction<S extends z.ZodType>(schema: S, handler: (input: z.infer<S>) => Promise<ActionState | void>) {
  return guardedAction(schema, async () => null, handler);
}

/** For a signed-in user outside any tenant (workspace list, new workspace). */
export function userAction<S extends z.ZodType>(schema: S, handler: (input: z.infer<S>, user: SignedInUser) => Promise<ActionState | void>) {
  return guardedAction(schema, requireUser, handler);
}

export function tenantAction<S extends z.ZodType>(
  schema: S,
  options: EntryPointGuard,
  handler: (input: z.infer<S>, ctx: TenantContext) => Promise<ActionState | void>,
) {
  return guardedAction(schema, () => requireTenant(options), handler);
}

/** For platform operators (KEEL_OPERATOR_EMAILS) only: anyone else is told the page does not exist. */
export function operatorAction<S extends z.ZodType>(schema: S, handler: (input: z.infer<S>, operator: OperatorContext) => Promise<ActionState | void>) {
  return guardedAction(schema, requireOperator, handler);
}

/** For a plain form without fields or state that anyone may submit (sign out: it ends whatever session there is). */
export function publicFormAction(handler: () => Promise<void>) {
  return async (_formData: FormData): Promise<void> => handler();
}
