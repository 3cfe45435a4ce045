// Scheduling and restoring a workspace's deletion: who may, the typed name, the workspace unusable
// at once for every member and API key, the restore within the grace period, and the limits.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { platformAuditLog } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { authenticateApiKey, createApiKey } from "@/lib/auth/api-keys";
import { addMember, createTenant } from "@/test/fixtures";
import { getTenant } from "./tenants";
import { deletionGraceDays, findMembershipAccess, restoreWorkspace, scheduleWorkspaceDeletion, subjectHash } from "./workspace-deletion";
import { purgeWorkspace } from "./workspace-purge";

const DAY_MS = 86_400_000;

/** The database's own words for a refused statement (drizzle wraps them). */
async function refusal(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "the statement should have been refused").not.toBeNull();
  const cause = (error as { cause?: unknown }).cause;
  return String(cause instanceof Error ? cause.message : error);
}

describe("workspace deletion", () => {
  it("is scheduled by an owner who types the name, makes the workspace unusable, and is restored by an owner", async () => {
    const owner = await createTenant("Going away");
    const admin = await addMember(owner, "admin");
    const { key } = await createApiKey(owner, "integration");
    expect(await authenticateApiKey(key)).not.toBeNull();

    await expect(scheduleWorkspaceDeletion(admin, { confirmName: "Going away" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(scheduleWorkspaceDeletion(owner, { confirmName: "going away" })).rejects.toMatchObject({
      code: "invalid_input",
      fieldErrors: { confirmName: expect.stringContaining("Going away") },
    });
    expect(await findMembershipAccess(owner.tenantId, admin.userId)).toEqual({ role: "admin", deletion: null });

    const now = new Date();
    const scheduled = await scheduleWorkspaceDeletion(owner, { confirmName: "Going away" }, now);
    expect(scheduled.dueAt.getTime() - now.getTime()).toBe(7 * DAY_MS);
    // Every member sees the schedule (the guard refuses the workspace for it); keys stop at once.
    expect(await findMembershipAccess(owner.tenantId, admin.userId)).toMatchObject({ role: "admin", deletion: { dueAt: scheduled.dueAt } });
    expect(await authenticateApiKey(key)).toBeNull();
    // Asking again keeps the first schedule.
    expect((await scheduleWorkspaceDeletion(owner, { confirmName: "Going away" }, new Date(now.getTime() + DAY_MS))).dueAt).toEqual(scheduled.dueAt);

    await expect(restoreWorkspace(admin)).rejects.toMatchObject({ code: "forbidden" });
    await restoreWorkspace(owner, new Date(now.getTime() + 6 * DAY_MS));
    expect(await findMembershipAccess(owner.tenantId, admin.userId)).toEqual({ role: "admin", deletion: null });
    expect(await authenticateApiKey(key)).not.toBeNull();
    // Restored: the purge leaves it alone even long after the old date.
    expect(await purgeWorkspace(owner.tenantId, { now: new Date(now.getTime() + 30 * DAY_MS) })).toBe(false);
    expect((await getTenant(owner)).name).toBe("Going away");
  });

  it("cannot be restored once the grace period is over", async () => {
    const owner = await createTenant("Too late");
    const now = new Date();
    const scheduled = await scheduleWorkspaceDeletion(owner, { confirmName: "Too late" }, now);
    await expect(restoreWorkspace(owner, new Date(scheduled.dueAt.getTime() + 1))).rejects.toMatchObject({ code: "conflict" });
  });

  it("leaves other workspaces alone", async () => {
    const a = await createTenant("Deleted A");
    const b = await createTenant("Untouched B");
    await scheduleWorkspaceDeletion(a, { confirmName: "Deleted A" });
    expect(await findMembershipAccess(b.tenantId, b.userId)).toEqual({ role: "owner", deletion: null });
    await expect(restoreWorkspace(b)).rejects.toMatchObject({ code: "conflict" });
    expect(await findMembershipAccess(a.tenantId, a.userId)).toMatchObject({ deletion: { dueAt: expect.any(Date) } });
  });

  it("counts deletion requests per person", async () => {
    const owner = await createTenant("Hammered");
    const now = new Date();
    for (let i = 0; i < 5; i++) await expect(scheduleWorkspaceDeletion(owner, { confirmName: "wrong" }, now)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(scheduleWorkspaceDeletion(owner, { confirmName: "Hammered" }, now)).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("keeps the platform's record out of every workspace's reach", async () => {
    const owner = await createTenant("Curious");
    await scheduleWorkspaceDeletion(owner, { confirmName: "Curious" });
    expect(await refusal(withTenant(owner.tenantId, (tx) => tx.select().from(platformAuditLog), { userId: owner.userId }))).toMatch(/permission denied/);
    const records = await withSystem("test: the platform's record", (tx) =>
      tx
        .select()
        .from(platformAuditLog)
        .where(eq(platformAuditLog.subjectHash, subjectHash(owner.tenantId))),
    );
    expect(records).toEqual([expect.objectContaining({ action: "workspace.deletion_scheduled", actorUserId: owner.userId })]);
    // Append-only even for the system path.
    expect(await refusal(withSystem("test: rewrite the record", (tx) => tx.delete(platformAuditLog).where(eq(platformAuditLog.id, records[0]!.id))))).toMatch(
      /permission denied/,
    );
  });

  it("reads its grace period from the environment", () => {
    expect(deletionGraceDays({})).toBe(7);
    expect(deletionGraceDays({ KEEL_WORKSPACE_DELETION_GRACE_DAYS: "0" })).toBe(0);
    expect(deletionGraceDays({ KEEL_WORKSPACE_DELETION_GRACE_DAYS: "30" })).toBe(30);
    expect(() => deletionGraceDays({ KEEL_WORKSPACE_DELETION_GRACE_DAYS: "a week" })).toThrow(/whole number of days/);
  });
});
