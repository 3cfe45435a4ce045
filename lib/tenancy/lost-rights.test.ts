// Leaving a workspace leaves nothing behind: when someone loses the right to invite and to manage
// API keys (removed, left, demoted below admin), their pending invitation links and their API keys
// are revoked in the same transaction, audited, and the keys dropped from every process's cache.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog, invitations } from "@/db/schema";
import { listenForInvalidations, onInvalidation } from "@/db/invalidation";
import { withTenant } from "@/db/scope";
import { authenticateApiKey, createApiKey, hashApiKey, listApiKeys } from "@/lib/auth/api-keys";
import { addMember, createTenant } from "@/test/fixtures";
import { createInvitation } from "./invitations";
import { changeMemberRole, removeMember } from "./members";

// What this process heard: a key dropped by name, or (after LISTEN (re)starts, when announcements
// made meanwhile are unknown) every key at once.
const announcedKeys = new Set<string>();
let everyKeyDroppedAt = 0;
beforeAll(async () => {
  onInvalidation("api_key", (hash) => {
    if (hash) announcedKeys.add(hash);
    else everyKeyDroppedAt = Date.now();
  });
  await listenForInvalidations();
});

/** Whether this process dropped the key from its cache after `since`: by name, or with every key. */
const keyDropped = (key: string, since: number) => announcedKeys.has(hashApiKey(key)) || everyKeyDroppedAt >= since;

async function workspaceWithAdmin(name: string) {
  const owner = await createTenant(name);
  const admin = await addMember(owner, "admin");
  const adminLink = (await createInvitation(admin, { role: "member", expiresInDays: 7 })).invitation.id;
  const ownerLink = (await createInvitation(owner, { role: "member", expiresInDays: 7 })).invitation.id;
  const adminKey = (await createApiKey(admin, "admin's integration")).key;
  const ownerKey = (await createApiKey(owner, "owner's integration")).key;
  // Warm this process's verified-key cache: revocation must clear it, not wait for it to expire.
  expect(await authenticateApiKey(adminKey)).not.toBeNull();
  return { owner, admin, adminLink, ownerLink, adminKey, ownerKey };
}

async function pendingLinks(tenantId: string) {
  const rows = await withTenant(tenantId, (tx) => tx.select().from(invitations).where(eq(invitations.tenantId, tenantId)));
  return rows.filter((r) => r.revokedAt === null && r.acceptedAt === null).map((r) => r.id);
}

async function revocationsAudited(tenantId: string) {
  const rows = await withTenant(tenantId, (tx) => tx.select().from(auditLog).where(eq(auditLog.tenantId, tenantId)));
  return rows
    .filter((r) => r.action === "invitation.revoked" || r.action === "api_key.revoked")
    .map((r) => ({ action: r.action, actor: r.actorUserId, reason: r.metadata.reason, createdBy: r.metadata.createdBy }));
}

describe.each([
  ["removed by an owner", "creator_removed"],
  ["leaving", "creator_left"],
  ["demoted to member", "creator_demoted"],
] as const)("an admin %s", (path, reason) => {
  it("takes their pending invitation links and API keys with them, and nobody else's", async () => {
    const w = await workspaceWithAdmin(`Admin ${path}`);
    const revokedFrom = Date.now();
    if (path === "removed by an owner") await removeMember(w.owner, w.admin.userId);
    if (path === "leaving") await removeMember(w.admin, w.admin.userId);
    if (path === "demoted to member") await changeMemberRole(w.owner, w.admin.userId, "member");

    expect(await pendingLinks(w.owner.tenantId)).toEqual([w.ownerLink]);
    expect(await authenticateApiKey(w.adminKey)).toBeNull();
    // The announcement reaches this process's LISTEN connection after the commit, not with it.
    await expect.poll(() => keyDropped(w.adminKey, revokedFrom)).toBe(true);
    expect(await authenticateApiKey(w.ownerKey)).toMatchObject({ tenantId: w.owner.tenantId });
    const actor = path === "leaving" ? w.admin.userId : w.owner.userId;
    expect(await revocationsAudited(w.owner.tenantId)).toEqual(
      expect.arrayContaining([
        { action: "invitation.revoked", actor, reason, createdBy: w.admin.userId },
        { action: "api_key.revoked", actor, reason, createdBy: w.admin.userId },
      ]),
    );
    expect(await revocationsAudited(w.owner.tenantId)).toHaveLength(2);

    const keys = await listApiKeys(w.owner);
    expect(keys.find((k) => k.name === "owner's integration")).toMatchObject({ creatorName: "Owner", revokedAt: null });
    expect(keys.find((k) => k.name === "admin's integration")).toMatchObject({ createdBy: w.admin.userId, revokedAt: expect.any(Date) });
  });
});

describe("keeping the right to manage", () => {
  it("keeps links and keys of an owner made admin, and lists who created each key", async () => {
    const w = await workspaceWithAdmin("Owner steps down to admin");
    await changeMemberRole(w.owner, w.admin.userId, "owner");
    await changeMemberRole({ ...w.admin, role: "owner" }, w.owner.userId, "admin");
    expect((await pendingLinks(w.owner.tenantId)).sort()).toEqual([w.adminLink, w.ownerLink].sort());
    expect(await authenticateApiKey(w.ownerKey)).not.toBeNull();
    const keys = await listApiKeys({ ...w.admin, role: "owner" });
    expect(keys.map((k) => [k.name, k.creatorName]).sort()).toEqual([
      ["admin's integration", "A admin"],
      ["owner's integration", "Owner"],
    ]);
  });

  it("revokes nothing when the removal itself is refused (same transaction)", async () => {
    const owner = await createTenant("Only owner");
    const link = (await createInvitation(owner, { role: "member", expiresInDays: 7 })).invitation.id;
    const { key } = await createApiKey(owner, "kept");
    await expect(removeMember(owner, owner.userId)).rejects.toMatchObject({ code: "conflict" });
    await expect(changeMemberRole(owner, owner.userId, "member")).rejects.toMatchObject({ code: "conflict" });
    expect(await pendingLinks(owner.tenantId)).toEqual([link]);
    expect(await authenticateApiKey(key)).not.toBeNull();
  });
});
