"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { signOut, updateSession } from "@/lib/auth";
import type { SignedInUser } from "@/lib/auth/guard";
import { assertSessionMayOpenWorkspace } from "@/lib/auth/sso/workspace-sso-policy";
import { KeelError } from "@/lib/errors";
import { publicFormAction, userAction } from "@/lib/http/tenant-action";
import { findMembershipRole } from "@/lib/tenancy/members";
import { createWorkspaceSchema, tenantIdSchema } from "@/lib/tenancy/schemas";
import { createWorkspace } from "@/lib/tenancy/tenants";

async function activateTenant({ userId, sessionId }: SignedInUser, tenantId: string): Promise<void> {
  if (!(await findMembershipRole(tenantId, userId))) throw new KeelError("forbidden", "You are not a member of that workspace.");
  // A workspace that requires single sign-on says so here, rather than after the switch.
  await assertSessionMayOpenWorkspace({ tenantId, userId, sessionId });
  await updateSession({ tenantId });
  revalidatePath("/", "layout");
}

export const switchTenantAction = userAction(tenantIdSchema, async ({ tenantId }, user) => {
  await activateTenant(user, tenantId);
  redirect("/chat");
});

export const createWorkspaceAction = userAction(createWorkspaceSchema, async ({ workspaceName }, user) => {
  const tenant = await createWorkspace(user.userId, workspaceName);
  await activateTenant(user, tenant.id);
  redirect("/members");
});

export const signOutAction = publicFormAction(async () => {
  await signOut({ redirectTo: "/sign-in" });
});
