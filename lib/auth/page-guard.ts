// Pages use the same guard as actions and routes, turning refusals into navigation.
import { forbidden, notFound, redirect } from "next/navigation";
import { isKeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import { requireOperator, requireTenant, requireUser, type GuardOptions, type SignedInUser } from "./guard";
import type { OperatorContext } from "./operator";
import { isTwoFactorSetupRequired } from "./two-factor/policy";
import { isSsoRequiredError } from "./sso/workspace-sso-policy";

export async function requirePageTenant(options: GuardOptions = {}): Promise<TenantContext> {
  let ctx: TenantContext;
  try {
    ctx = await requireTenant({ whileScheduledForDeletion: options.whileScheduledForDeletion });
  } catch (error) {
    if (isKeelError(error) && error.code === "unauthenticated") redirect("/sign-in");
    // The workspace requires a second factor this member has not set up yet.
    if (isTwoFactorSetupRequired(error)) redirect("/two-factor-setup");
    // The workspace is scheduled for deletion: its notice, with the restore button for owners.
    if (isKeelError(error) && error.code === "gone") redirect("/scheduled-for-deletion");
    if (isSsoRequiredError(error)) redirect("/sso-required");
    // Signed in but without a current membership (removed, or none yet): pick or create one.
    if (isKeelError(error) && error.code === "forbidden") redirect("/workspaces");
    throw error;
  }
  // A member on an owners-and-admins page: a real 403 inside the app's shell (app/(app)/forbidden.tsx).
  if (options.role && !hasRole(ctx.role, options.role)) forbidden();
  return ctx;
}

export async function requirePageUser(): Promise<SignedInUser> {
  try {
    return await requireUser();
  } catch (error) {
    if (isKeelError(error) && error.code === "unauthenticated") redirect("/sign-in");
    throw error;
  }
}

/** Operator pages: sign in first; to anyone who is not an operator they do not exist. */
export async function requirePageOperator(): Promise<OperatorContext> {
  try {
    return await requireOperator();
  } catch (error) {
    if (isKeelError(error) && error.code === "unauthenticated") redirect("/sign-in");
    if (isKeelError(error) && error.code === "not_found") notFound();
    throw error;
  }
}
