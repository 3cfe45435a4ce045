// A person deletes their own account (issue 19.7), with their password. Refused while they are the
// only owner of a workspace that has other members (those members would be left without anyone
// who can manage it); a workspace where they are the only member is scheduled for deletion with
// the account, restorable by nobody (its one owner is gone) and purged after the grace period.
// Sessions end at once: their rows go with the account, and the guard checks the row.
import { and, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { memberships, tenants, users } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem, withUser } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { log } from "@/core/log";
import { recordAudit } from "@/lib/tenancy/audit";
import { revokeInvitationsCreatedBy } from "@/lib/tenancy/invitations";
import { recordPlatformAudit, scheduleDeletionIn } from "@/lib/tenancy/workspace-deletion";
import { admitAccountAttempt } from "./account-throttle";
import { forgetVerifiedApiKeys, revokeApiKeysCreatedBy } from "./api-keys";
import { admitLeavingAttempt } from "./leaving-throttle";
import { verifyPassword } from "./password";
import { revokeOtherSessions } from "./user-sessions";

export const deleteAccountSchema = z.object({
  currentPassword: z.string().min(1, "Enter your password.").max(1000),
  confirm: z.literal("delete my account", { error: "Type “delete my account” to confirm." }),
});

const wrongPassword = () => new KeelError("invalid_input", "Your password is incorrect.", { currentPassword: "Your password is incorrect." });

interface AccountDeletionOutcome {
  /** Workspaces the person alone belonged to, now scheduled for deletion. */
  scheduledWorkspaces: number;
}

/**
 * The person's memberships (locked), and the workspaces they alone belong to; refuses when they are
 * the only owner of a workspace that has other members.
 */
async function soleOwnership(tx: Tx, userId: string) {
  const mine = await tx
    .select({ tenantId: memberships.tenantId, role: memberships.role, name: tenants.name })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .for("update", { of: memberships });
  const soleMemberOf: string[] = [];
  const blocking: string[] = [];
  for (const membership of mine.filter((m) => m.role === "owner")) {
    const [others] = await tx
      .select({
        owners: sql<number>`count(*) filter (where ${memberships.role} = 'owner')`.mapWith(Number),
        members: sql<number>`count(*)`.mapWith(Number),
      })
      .from(memberships)
      .where(and(eq(memberships.tenantId, membership.tenantId), ne(memberships.userId, userId)));
    if (!others || others.members === 0) soleMemberOf.push(membership.tenantId);
    else if (others.owners === 0) blocking.push(membership.name);
  }
  if (blocking.length > 0) {
    const names = blocking.map((name) => `“${name}”`).join(", ");
    throw new KeelError(
      "conflict",
      `You are the only owner of ${names}, which ${blocking.length === 1 ? "has" : "have"} other members. Make another member an owner, or delete the workspace, first.`,
    );
  }
  return { mine, soleMemberOf };
}

export async function deleteAccount(userId: string, input: z.infer<typeof deleteAccountSchema>, now = new Date()): Promise<AccountDeletionOutcome> {
  await admitLeavingAttempt("deletionPerUser", userId, "Too many deletion requests.", now);
  // The same counter as every other check of the current password: a stolen session cannot guess on.
  await admitAccountAttempt([["passwordCheck", userId]], "Too many attempts with the current password.", now);
  const [me] = await withUser(userId, (tx) => tx.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)));
  if (!me || !(await verifyPassword(me.passwordHash, input.currentPassword))) throw wrongPassword();

  // Refuse before anything changes; then end every session (and this process's cache of them) at
  // once; then delete, checking again under lock in case a membership changed meanwhile.
  await withSystem("account deletion: may it go ahead", (tx) => soleOwnership(tx, userId));
  await revokeOtherSessions(userId, null);
  const outcome = await withSystem("account deletion: its owner deletes it", async (tx) => {
    const { mine, soleMemberOf } = await soleOwnership(tx, userId);
    for (const tenantId of soleMemberOf) await scheduleDeletionIn(tx, tenantId, userId, "account_deleted", now);
    const revokedKeys: string[] = [];
    for (const membership of mine.filter((m) => !soleMemberOf.includes(m.tenantId))) {
      await recordAudit(tx, { tenantId: membership.tenantId, actorUserId: userId, action: "member.account_deleted", targetType: "user", targetId: userId });
      // As when a member leaves: their keys and pending invitation links die with their rights.
      const lostRights = { tenantId: membership.tenantId, creatorId: userId, actorUserId: userId, reason: "creator_left" as const };
      revokedKeys.push(...(await revokeApiKeysCreatedBy(tx, lostRights)));
      await revokeInvitationsCreatedBy(tx, lostRights, now);
    }
    await recordPlatformAudit(tx, { action: "account.deleted", subjectId: userId, actorUserId: null, metadata: { scheduledWorkspaces: soleMemberOf.length } });
    // Memberships, sessions, live streams, emailed links, conversations and notifications go with
    // the row (ON DELETE CASCADE); what the workspace keeps (documents, audit entries, API keys'
    // creator) only loses its author (SET NULL).
    await tx.delete(users).where(eq(users.id, userId));
    return { scheduledWorkspaces: soleMemberOf.length, revokedKeys };
  });
  forgetVerifiedApiKeys(outcome.revokedKeys);
  log.info({ scheduledWorkspaces: outcome.scheduledWorkspaces }, "an account was deleted by its owner");
  return { scheduledWorkspaces: outcome.scheduledWorkspaces };
}
