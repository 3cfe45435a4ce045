// Pages use the same guard as actions and routes, turning refusals into navigation.
import { notFound, redirect } from "next/navigation";
import { isKeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { requireOperator, requireTenant, requireUser, type SignedInUser } from "./guard";
import type { OperatorContext } from "./operator";
import { isSsoRequiredError } from "./sso/workspace-sso-policy";

export async function requirePageTenant(): Promise<TenantContext> {
  try {
    return await requireTenant();
  } catch (error) {
    if (isKeelError(error) && error.code === "unauthenticated") redirect("/sign-in");
    if (isSsoRequiredError(error)) redirect("/sso-required");
    // Signed in but without a current membership (removed, or none yet): pick or create one.
    if (isKeelError(error) && error.code === "forbidden") redirect("/workspaces");
    throw error;
  }
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
