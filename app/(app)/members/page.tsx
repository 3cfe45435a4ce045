import type { Metadata } from "next";
import { InviteForm } from "@/components/members/invite-form";
import { ActionForm } from "@/components/ui/action-form";
import { PageHeader } from "@/components/ui/empty-state";
import { listPendingInvitations } from "@/lib/tenancy/invitations";
import { listMembers } from "@/lib/tenancy/members";
import { hasRole, roleLabels } from "@/lib/tenancy/roles";
import type { MemberRole } from "@/db/schema";
import { changeRoleAction, createInvitationAction, removeMemberAction, resendInvitationAction, revokeInvitationAction } from "./actions";
import { formatDate } from "@/lib/format/dates";
import { tenantPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Members" };

export default tenantPage({ role: "member" }, async (ctx) => {
  const canManage = hasRole(ctx.role, "admin");
  const [members, invitations] = await Promise.all([listMembers(ctx), canManage ? listPendingInvitations(ctx) : Promise.resolve([])]);
  const assignable: MemberRole[] = ctx.role === "owner" ? ["owner", "admin", "member"] : ["admin", "member"];

  return (
    <>
      <PageHeader title="Members" description="Everyone in this workspace and what they may do." />
      <section aria-labelledby="members-heading" className="overflow-hidden rounded-lg border border-slate-200 bg-white">
        <h2 id="members-heading" className="sr-only">
          Current members
        </h2>
        <ul className="divide-y divide-slate-200" data-testid="member-list">
          {members.map((member) => {
            const isSelf = member.userId === ctx.userId;
            const mayEdit = canManage && !isSelf && (ctx.role === "owner" || member.role !== "owner");
            return (
              <li key={member.userId} className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid="member-row">
                <div className="min-w-0">
                  <p className="font-medium">
                    {member.name} {isSelf ? <span className="text-sm text-slate-500">(you)</span> : null}
                  </p>
                  <p className="truncate text-sm text-slate-600" data-testid="member-email">
                    {member.email}
                  </p>
                  <p className="text-xs text-slate-500">
                    {roleLabels[member.role]} · joined {formatDate(member.joinedAt)}
                  </p>
                </div>
                <div className="flex flex-wrap items-start gap-2">
                  {mayEdit ? (
                    <ActionForm action={changeRoleAction} hidden={{ userId: member.userId }} submitLabel="Change role" label={`Role of ${member.email}`}>
                      <label className="sr-only" htmlFor={`role-${member.userId}`}>
                        Role of {member.name}
                      </label>
                      <select
                        id={`role-${member.userId}`}
                        name="role"
                        defaultValue={member.role}
                        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
                      >
                        {assignable.map((role) => (
                          <option key={role} value={role}>
                            {roleLabels[role]}
                          </option>
                        ))}
                      </select>
                    </ActionForm>
                  ) : null}
                  {mayEdit || isSelf ? (
                    <ActionForm
                      action={removeMemberAction}
                      hidden={{ userId: member.userId }}
                      submitLabel={isSelf ? "Leave workspace" : "Remove"}
                      variant="danger"
                      confirmMessage={isSelf ? "Leave this workspace?" : `Remove ${member.email} from this workspace?`}
                      label={isSelf ? "Leave workspace" : `Remove ${member.email}`}
                    />
                  ) : null}
                </div>
              </li>
            );
          })}
        </ul>
      </section>

      {canManage ? (
        <>
          <section aria-labelledby="invite-heading" className="mt-8 rounded-lg border border-slate-200 bg-white p-4">
            <h2 id="invite-heading" className="mb-3 text-lg font-semibold">
              Invite someone
            </h2>
            <InviteForm action={createInvitationAction} />
          </section>
          <section aria-labelledby="pending-heading" className="mt-8">
            <h2 id="pending-heading" className="mb-3 text-lg font-semibold">
              Pending invitations
            </h2>
            <p className="mb-3 text-sm text-slate-600">
              A link is withdrawn when whoever created it leaves the workspace, is removed, or is no longer an owner or admin.
            </p>
            {invitations.length === 0 ? (
              <p className="text-sm text-slate-600">No pending invitations.</p>
            ) : (
              <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
                {invitations.map((invitation) => (
                  <li key={invitation.id} className="flex flex-wrap items-center justify-between gap-2 p-4 text-sm">
                    <span data-testid="pending-invitation">
                      {invitation.email ? `${invitation.email} · ` : "Link · "}
                      {roleLabels[invitation.role]} · expires {formatDate(invitation.expiresAt)}
                      {invitation.sentAt ? ` · sent ${formatDate(invitation.sentAt)}` : ""}
                    </span>
                    <div className="flex flex-wrap gap-2">
                      {invitation.email ? (
                        <ActionForm
                          action={resendInvitationAction}
                          hidden={{ invitationId: invitation.id }}
                          submitLabel="Send again"
                          pendingLabel="Sending…"
                          label={`Send the invitation to ${invitation.email} again`}
                        />
                      ) : null}
                      <ActionForm
                        action={revokeInvitationAction}
                        hidden={{ invitationId: invitation.id }}
                        submitLabel="Revoke"
                        variant="danger"
                        label={invitation.email ? `Revoke the invitation of ${invitation.email}` : "Revoke invitation"}
                      />
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      ) : null}
    </>
  );
});
