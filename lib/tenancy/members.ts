// Members of a tenant: listing, role changes and removal, with the rule that a tenant always
// keeps at least one owner. Owner rows are locked first so two concurrent demotions cannot
// both pass the check. Whoever loses the admin role (or leaves) loses what they handed out too:
// their pending invitation links and their API keys, in the same transaction.
import { and, asc, eq } from "drizzle-orm";
import { memberships, users, type MemberRole } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { forgetVerifiedApiKeys, revokeApiKeysCreatedBy } from "@/lib/auth/api-keys";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "./context";
import { recordAudit } from "./audit";
import { revokeInvitationsCreatedBy, type LostRightsReason } from "./invitations";
import { hasRole } from "./roles";

export interface Member {
  userId: string;
  name: string;
  email: string;
  role: MemberRole;
  joinedAt: Date;
}

export function listMembers(ctx: TenantContext): Promise<Member[]> {
  return withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select({ userId: users.id, name: users.name, email: users.email, role: memberships.role, joinedAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.tenantId, ctx.tenantId))
        .orderBy(asc(users.name), asc(users.email)),
    { userId: ctx.userId },
  );
}

/** Locks the tenant's owner rows and returns the target's membership. */
async function lockOwnersAndFind(tx: Tx, tenantId: string, userId: string) {
  const owners = await tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.role, "owner")))
    .orderBy(asc(memberships.userId)) // one lock order for every caller: no deadlocks
    .for("update");
  const [target] = await tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)))
    .for("update");
  if (!target) throw new KeelError("not_found", "That person is not a member of this workspace.");
  return { ownerCount: owners.length, target };
}

const lastOwnerMessage = "A workspace needs at least one owner. Make someone else an owner first.";

/**
 * Someone lost the right to invite and to manage API keys (removed, left, or no longer an admin):
 * what they handed out goes with it, in the same transaction. Returns revoked key hashes.
 */
async function revokeWhatTheyCreated(tx: Tx, ctx: TenantContext, userId: string, reason: LostRightsReason): Promise<string[]> {
  const input = { tenantId: ctx.tenantId, creatorId: userId, actorUserId: ctx.userId, reason };
  await revokeInvitationsCreatedBy(tx, input);
  return revokeApiKeysCreatedBy(tx, input);
}

export async function changeMemberRole(ctx: TenantContext, userId: string, role: MemberRole): Promise<void> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can change roles.");
  const revokedKeys = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const { ownerCount, target } = await lockOwnersAndFind(tx, ctx.tenantId, userId);
      if (target.role === role) return [];
      if ((target.role === "owner" || role === "owner") && ctx.role !== "owner") {
        throw new KeelError("forbidden", "Only owners can make owners or change an owner's role.");
      }
      if (target.role === "owner" && ownerCount <= 1) throw new KeelError("conflict", lastOwnerMessage);
      await tx
        .update(memberships)
        .set({ role })
        .where(and(eq(memberships.tenantId, ctx.tenantId), eq(memberships.userId, userId)));
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "member.role_changed",
        targetType: "user",
        targetId: userId,
        metadata: { from: target.role, to: role },
      });
      const losesManagement = hasRole(target.role, "admin") && !hasRole(role, "admin");
      return losesManagement ? revokeWhatTheyCreated(tx, ctx, userId, "creator_demoted") : [];
    },
    { userId: ctx.userId },
  );
  forgetVerifiedApiKeys(revokedKeys);
}

/** Removes a member; anyone may remove themselves (leave), admins remove others. */
export async function removeMember(ctx: TenantContext, userId: string): Promise<void> {
  const leaving = userId === ctx.userId;
  if (!leaving && !hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can remove members.");
  const revokedKeys = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const { ownerCount, target } = await lockOwnersAndFind(tx, ctx.tenantId, userId);
      if (target.role === "owner" && !leaving && ctx.role !== "owner") throw new KeelError("forbidden", "Only owners can remove an owner.");
      if (target.role === "owner" && ownerCount <= 1) throw new KeelError("conflict", lastOwnerMessage);
      await tx.delete(memberships).where(and(eq(memberships.tenantId, ctx.tenantId), eq(memberships.userId, userId)));
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: leaving ? "member.left" : "member.removed",
        targetType: "user",
        targetId: userId,
        metadata: { role: target.role },
      });
      // Whatever their role now: links or keys kept from an earlier admin role go too.
      return revokeWhatTheyCreated(tx, ctx, userId, leaving ? "creator_left" : "creator_removed");
    },
    { userId: ctx.userId },
  );
  forgetVerifiedApiKeys(revokedKeys);
}

/** The caller's current role in the tenant, or null when they are not (or no longer) a member. */
export async function findMembershipRole(tenantId: string, userId: string): Promise<MemberRole | null> {
  const [row] = await withTenant(
    tenantId,
    (tx) =>
      tx
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId))),
    { userId },
  );
  return row?.role ?? null;
}
