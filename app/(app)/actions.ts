"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { signOut, updateSession } from "@/lib/auth";
import { KeelError } from "@/lib/errors";
import { publicFormAction, userAction } from "@/lib/http/tenant-action";
import { findMembershipRole } from "@/lib/tenancy/members";
import { createWorkspaceSchema, tenantIdSchema } from "@/lib/tenancy/schemas";
import { createWorkspace } from "@/lib/tenancy/tenants";

async function activateTenant(userId: string, tenantId: string): Promise<void> {
  if (!(await findMembershipRole(tenantId, userId))) throw new KeelError("forbidden", "You are not a member of that workspace.");
  await updateSession({ tenantId });
  revalidatePath("/", "layout");
}

export const switchTenantAction = userAction(tenantIdSchema, async ({ tenantId }, { userId }) => {
  await activateTenant(userId, tenantId);
  redirect("/chat");
});

export const createWorkspaceAction = userAction(createWorkspaceSchema, async ({ workspaceName }, { userId }) => {
  const tenant = await createWorkspace(userId, workspaceName);
  await activateTenant(userId, tenant.id);
  redirect("/members");
});

export const signOutAction = publicFormAction(async () => {
  await signOut({ redirectTo: "/sign-in" });
});
