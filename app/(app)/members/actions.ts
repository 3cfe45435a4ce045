"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { publicOrigin } from "@/lib/http/origin";
import { tenantAction } from "@/lib/http/tenant-action";
import { inviteByEmail, resendInvitation } from "@/lib/tenancy/invitation-mail";
import { createInvitation, revokeInvitation } from "@/lib/tenancy/invitations";
import { changeMemberRole, removeMember } from "@/lib/tenancy/members";
import { changeRoleSchema, createInvitationSchema, invitationIdSchema, memberSchema } from "@/lib/tenancy/schemas";

export const createInvitationAction = tenantAction(createInvitationSchema, { role: "admin" }, async (input, ctx) => {
  if (input.email) {
    await inviteByEmail(ctx, { ...input, email: input.email });
    revalidatePath("/members");
    return { ok: true, message: `Invitation sent to ${input.email}.` };
  }
  const { path } = await createInvitation(ctx, input);
  revalidatePath("/members");
  return { ok: true, message: "Invitation created.", result: { link: `${await publicOrigin()}${path}` } };
});

export const resendInvitationAction = tenantAction(invitationIdSchema, { role: "admin" }, async ({ invitationId }, ctx) => {
  await resendInvitation(ctx, invitationId);
  revalidatePath("/members");
});

export const revokeInvitationAction = tenantAction(invitationIdSchema, { role: "admin" }, async ({ invitationId }, ctx) => {
  await revokeInvitation(ctx, invitationId);
  revalidatePath("/members");
});

export const changeRoleAction = tenantAction(changeRoleSchema, { role: "admin" }, async ({ userId, role }, ctx) => {
  await changeMemberRole(ctx, userId, role);
  revalidatePath("/", "layout");
});

/** Removal by an admin, or leaving (any member removing themselves). */
export const removeMemberAction = tenantAction(memberSchema, { role: "member" }, async ({ userId }, ctx) => {
  await removeMember(ctx, userId);
  if (userId === ctx.userId) redirect("/workspaces");
  revalidatePath("/members");
});
