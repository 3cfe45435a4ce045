// Invitations by email (issue 19.3): the link goes to the invitee's inbox, names the workspace and
// who invited them, and can be sent again. A resend issues a new secret (only hashes are stored,
// so the old link cannot be re-sent) and the previous link stops working. Sends are limited per
// workspace and per invitation.
import { randomBytes } from "node:crypto";
import { and, eq, gt, isNull } from "drizzle-orm";
import { invitations, tenants, users, type Invitation, type MemberRole } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { admitAccountAttempt } from "@/lib/auth/account-throttle";
import { KeelError } from "@/lib/errors";
import { invitationMessage } from "@/lib/mail/account-messages";
import { appOrigin } from "@/lib/mail/mail-settings";
import { sendMail } from "@/lib/mail/send-mail";
import type { TenantContext } from "./context";
import { recordAudit } from "./audit";
import { createInvitation, hashInvitationSecret, invitationPath } from "./invitations";
import { hasRole, roleLabels } from "./roles";

const tooMany = "Too many invitation emails were sent from this workspace.";

async function mailInvitation(ctx: TenantContext, input: { email: string; role: MemberRole; secret: string; expiresAt: Date }): Promise<string> {
  const { workspaceName, inviterName } = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, ctx.tenantId));
      const [inviter] = await tx.select({ name: users.name }).from(users).where(eq(users.id, ctx.userId));
      return { workspaceName: tenant?.name ?? "a workspace", inviterName: inviter?.name ?? "Someone" };
    },
    { userId: ctx.userId },
  );
  const link = `${appOrigin()}${invitationPath(ctx.tenantId, input.secret)}`;
  await sendMail(
    invitationMessage({ to: input.email, inviterName, workspaceName, role: roleLabels[input.role].toLowerCase(), link, expiresAt: input.expiresAt }),
  );
  return link;
}

async function markSent(ctx: TenantContext, invitationId: string, now: Date): Promise<void> {
  await withTenant(ctx.tenantId, (tx) => tx.update(invitations).set({ sentAt: now }).where(eq(invitations.id, invitationId)), { userId: ctx.userId });
}

/**
 * Creates an invitation for `email` and mails its link. If the mail cannot go out, the invitation
 * is withdrawn again (no link nobody received stays valid) and the error says why.
 */
export async function inviteByEmail(
  ctx: TenantContext,
  input: { role: Exclude<MemberRole, "owner">; expiresInDays: number; email: string },
  now = new Date(),
): Promise<{ invitation: Invitation; link: string }> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can manage invitations.");
  await admitAccountAttempt([["invitationsFromTenant", ctx.tenantId]], tooMany, now);
  const { invitation, secret } = await createInvitation(ctx, input, now);
  try {
    const link = await mailInvitation(ctx, { email: input.email, role: input.role, secret, expiresAt: invitation.expiresAt });
    await markSent(ctx, invitation.id, now);
    return { invitation, link };
  } catch (error) {
    await withTenant(ctx.tenantId, (tx) => tx.update(invitations).set({ revokedAt: now }).where(eq(invitations.id, invitation.id)), { userId: ctx.userId });
    throw error;
  }
}

/** Mails a pending invitation again, with a new link; the old one stops working. */
export async function resendInvitation(ctx: TenantContext, invitationId: string, now = new Date()): Promise<void> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can manage invitations.");
  await admitAccountAttempt(
    [
      ["invitationResend", invitationId],
      ["invitationsFromTenant", ctx.tenantId],
    ],
    "This invitation was sent too often.",
    now,
  );
  const secret = randomBytes(32).toString("base64url");
  const row = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const [updated] = await tx
        .update(invitations)
        .set({ tokenHash: hashInvitationSecret(secret), sentAt: now })
        .where(
          and(
            eq(invitations.id, invitationId),
            eq(invitations.tenantId, ctx.tenantId),
            isNull(invitations.acceptedAt),
            isNull(invitations.revokedAt),
            gt(invitations.expiresAt, now),
          ),
        )
        .returning();
      if (!updated?.email) throw new KeelError("not_found", "That invitation is no longer pending, or was not made for an email address.");
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "invitation.resent",
        targetType: "invitation",
        targetId: invitationId,
        metadata: { email: updated.email },
      });
      return updated;
    },
    { userId: ctx.userId },
  );
  await mailInvitation(ctx, { email: row.email!, role: row.role, secret, expiresAt: row.expiresAt });
}
