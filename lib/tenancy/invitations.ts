// Invitation links: expiring, single-use, role chosen by the inviter. The link carries the tenant
// id and a secret; only the secret's sha256 is stored, and every lookup runs in the tenant's own
// context, so a secret from another tenant finds nothing.
import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { invitations, memberships, tenants, type Invitation, type MemberRole } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { markEmailVerified } from "@/lib/auth/email-verification";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "./context";
import { recordAudit } from "./audit";
import { hasRole } from "./roles";

export function hashInvitationSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function invitationPath(tenantId: string, secret: string): string {
  return `/invite/${tenantId}/${secret}`;
}

function requireInviter(ctx: TenantContext): void {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can manage invitations.");
}

export async function createInvitation(
  ctx: TenantContext,
  input: { role: Exclude<MemberRole, "owner">; expiresInDays: number; email?: string | null },
  now = new Date(),
): Promise<{ invitation: Invitation; secret: string; path: string }> {
  requireInviter(ctx);
  const secret = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + input.expiresInDays * 86_400_000);
  const invitation = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const [row] = await tx
        .insert(invitations)
        .values({
          tenantId: ctx.tenantId,
          role: input.role,
          email: input.email ?? null,
          tokenHash: hashInvitationSecret(secret),
          createdBy: ctx.userId,
          expiresAt,
        })
        .returning();
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "invitation.created",
        targetType: "invitation",
        targetId: row!.id,
        metadata: input.email ? { role: input.role, email: input.email } : { role: input.role },
      });
      return row!;
    },
    { userId: ctx.userId },
  );
  return { invitation, secret, path: invitationPath(ctx.tenantId, secret) };
}

/** Invitations still waiting to be used, newest first. */
export function listPendingInvitations(ctx: TenantContext, now = new Date()): Promise<Invitation[]> {
  requireInviter(ctx);
  return withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select()
        .from(invitations)
        .where(and(eq(invitations.tenantId, ctx.tenantId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
        .orderBy(desc(invitations.createdAt)),
    { userId: ctx.userId },
  );
}

export async function revokeInvitation(ctx: TenantContext, invitationId: string, now = new Date()): Promise<void> {
  requireInviter(ctx);
  await withTenant(
    ctx.tenantId,
    async (tx) => {
      const revoked = await tx
        .update(invitations)
        .set({ revokedAt: now })
        .where(and(eq(invitations.id, invitationId), eq(invitations.tenantId, ctx.tenantId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
        .returning({ id: invitations.id });
      if (revoked.length === 0) throw new KeelError("not_found", "That invitation no longer exists or was already used.");
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "invitation.revoked",
        targetType: "invitation",
        targetId: invitationId,
      });
    },
    { userId: ctx.userId },
  );
}

/** Why someone's rights went away: recorded with what was revoked because of it. */
export type LostRightsReason = "creator_removed" | "creator_left" | "creator_demoted";

/**
 * Revokes the still-pending invitation links `creatorId` made in the tenant, inside the caller's
 * transaction (the one that removes or demotes them), each with its own audit entry. A link must
 * not outlive its creator's right to hand it out.
 */
export async function revokeInvitationsCreatedBy(
  tx: Tx,
  input: { tenantId: string; creatorId: string; actorUserId: string; reason: LostRightsReason },
  now = new Date(),
): Promise<number> {
  const revoked = await tx
    .update(invitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(invitations.tenantId, input.tenantId),
        eq(invitations.createdBy, input.creatorId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, now),
      ),
    )
    .returning({ id: invitations.id });
  for (const { id } of revoked) {
    await recordAudit(tx, {
      tenantId: input.tenantId,
      actorUserId: input.actorUserId,
      action: "invitation.revoked",
      targetType: "invitation",
      targetId: id,
      metadata: { reason: input.reason, createdBy: input.creatorId },
    });
  }
  return revoked.length;
}

export interface InvitationPreview {
  tenantId: string;
  tenantName: string;
  role: MemberRole;
  expiresAt: Date;
}

/** Finds a usable invitation or explains why it cannot be used. `lock` holds it for acceptance. */
async function findUsableInvitation(tx: Tx, tenantId: string, secret: string, now: Date, lock: boolean) {
  const query = tx
    .select({ invitation: invitations, tenantName: tenants.name })
    .from(invitations)
    .innerJoin(tenants, eq(tenants.id, invitations.tenantId))
    .where(and(eq(invitations.tenantId, tenantId), eq(invitations.tokenHash, hashInvitationSecret(secret))));
  const [row] = lock ? await query.for("update", { of: invitations }) : await query;
  if (!row) throw new KeelError("not_found", "This invitation link is not valid. Check that you copied all of it.");
  const { invitation } = row;
  if (invitation.revokedAt) throw new KeelError("gone", "This invitation was withdrawn. Ask for a new one.");
  if (invitation.acceptedAt) throw new KeelError("gone", "This invitation has already been used. Ask for a new one.");
  if (invitation.expiresAt <= now) throw new KeelError("gone", "This invitation has expired. Ask for a new one.");
  return row;
}

export async function previewInvitation(tenantId: string, secret: string, now = new Date()): Promise<InvitationPreview> {
  const { invitation, tenantName } = await withTenant(tenantId, (tx) => findUsableInvitation(tx, tenantId, secret, now, false));
  return { tenantId, tenantName, role: invitation.role, expiresAt: invitation.expiresAt };
}

/** Joins the user to the tenant and spends the invitation, atomically. */
export async function acceptInvitation(
  input: { tenantId: string; secret: string; userId: string },
  now = new Date(),
): Promise<{ tenantId: string; role: MemberRole; alreadyMember: boolean }> {
  return withTenant(
    input.tenantId,
    async (tx) => {
      const { invitation } = await findUsableInvitation(tx, input.tenantId, input.secret, now, true);
      const [existing] = await tx
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.tenantId, input.tenantId), eq(memberships.userId, input.userId)));
      // Already a member: keep their role and leave the link for whoever it was meant for.
      if (existing) return { tenantId: input.tenantId, role: existing.role, alreadyMember: true };
      await tx.insert(memberships).values({ tenantId: input.tenantId, userId: input.userId, role: invitation.role });
      // An invitation mailed to the account's own address proves that address: it was followed from that inbox.
      if (invitation.email) await markEmailVerified(tx, input.userId, invitation.email, now);
      await tx.update(invitations).set({ acceptedAt: now, acceptedBy: input.userId }).where(eq(invitations.id, invitation.id));
      await recordAudit(tx, {
        tenantId: input.tenantId,
        actorUserId: input.userId,
        action: "invitation.accepted",
        targetType: "invitation",
        targetId: invitation.id,
        metadata: { role: invitation.role },
      });
      return { tenantId: input.tenantId, role: invitation.role, alreadyMember: false };
    },
    { userId: input.userId },
  );
}
