// A person deletes their account: the password first; refused while they alone own a workspace
// with other members; their sessions end at once; a workspace they alone belonged to is scheduled
// for deletion; the platform keeps a record naming them by a hash only.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, platformAuditLog, tenants, users } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { authenticateApiKey, createApiKey } from "@/lib/auth/api-keys";
import { changeMemberRole, findMembershipRole } from "@/lib/tenancy/members";
import { findMembershipAccess, subjectHash } from "@/lib/tenancy/workspace-deletion";
import { addMember, createTenant, testPassword } from "@/test/fixtures";
import { deleteAccount } from "./account-deletion";
import { isSessionActive, startSession } from "./user-sessions";

const confirm = "delete my account" as const;

describe("deleting an account", () => {
  it("needs the password", async () => {
    const owner = await createTenant("Wrong password");
    await expect(deleteAccount(owner.userId, { currentPassword: "not my password", confirm })).rejects.toMatchObject({
      code: "invalid_input",
      fieldErrors: { currentPassword: "Your password is incorrect." },
    });
    expect(await findMembershipRole(owner.tenantId, owner.userId)).toBe("owner");
  });

  it("is refused while the person is the only owner of a workspace with other members", async () => {
    const owner = await createTenant("Shared place");
    const member = await addMember(owner, "member");
    await expect(deleteAccount(owner.userId, { currentPassword: testPassword, confirm })).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining("“Shared place”"),
    });
    // With a second owner, the first may go; the workspace stays, with its other owner.
    await changeMemberRole(owner, member.userId, "owner");
    await deleteAccount(owner.userId, { currentPassword: testPassword, confirm });
    expect(await findMembershipRole(owner.tenantId, member.userId)).toBe("owner");
    expect(await findMembershipAccess(owner.tenantId, member.userId)).toMatchObject({ deletion: null });
  });

  it("ends every session at once, revokes the person's keys, and leaves the workspaces an audit entry", async () => {
    const owner = await createTenant("Stays");
    const admin = await addMember(owner, "admin");
    const { key } = await createApiKey(admin, "theirs");
    const sessions = [await startSession(admin.userId), await startSession(admin.userId)];
    expect(await isSessionActive(admin.userId, sessions[0]!)).toBe(true);

    const outcome = await deleteAccount(admin.userId, { currentPassword: testPassword, confirm });
    expect(outcome).toEqual({ scheduledWorkspaces: 0 });
    for (const session of sessions) expect(await isSessionActive(admin.userId, session)).toBe(false);
    expect(await authenticateApiKey(key)).toBeNull();
    expect(await findMembershipRole(owner.tenantId, admin.userId)).toBeNull();
    const remaining = await withSystem("test: the account is gone", async (tx) => ({
      users: await tx.select({ id: users.id }).from(users).where(eq(users.id, admin.userId)),
      audit: await tx.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.tenantId, owner.tenantId)),
      platform: await tx
        .select()
        .from(platformAuditLog)
        .where(eq(platformAuditLog.subjectHash, subjectHash(admin.userId))),
    }));
    expect(remaining.users).toEqual([]);
    expect(remaining.audit.map((a) => a.action)).toContain("member.account_deleted");
    expect(remaining.platform).toEqual([expect.objectContaining({ action: "account.deleted", actorUserId: null })]);
  });

  it("schedules a workspace the person alone belonged to", async () => {
    const owner = await createTenant("Just me");
    const outcome = await deleteAccount(owner.userId, { currentPassword: testPassword, confirm });
    expect(outcome).toEqual({ scheduledWorkspaces: 1 });
    const [tenant] = await withSystem("test: the workspace's schedule", (tx) =>
      tx.select({ dueAt: tenants.deletionDueAt, requestedBy: tenants.deletionRequestedBy }).from(tenants).where(eq(tenants.id, owner.tenantId)),
    );
    // Nobody is left to restore it; it waits for the purge. Who asked is gone with the account.
    expect(tenant).toEqual({ dueAt: expect.any(Date), requestedBy: null });
  });
});
