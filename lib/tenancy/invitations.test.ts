import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { invitations } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { acceptInvitation, createInvitation, listPendingInvitations, previewInvitation, revokeInvitation } from "./invitations";
import { listMembers } from "./members";
import { signUpInvitee } from "./sign-up";
import { addMember, createTenant, testPassword, uniqueAddress, uniqueEmail } from "@/test/fixtures";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let a: Owner;
let b: Owner;

async function newUser(): Promise<string> {
  return (await signUpInvitee({ name: "Invitee", email: uniqueEmail("invitee"), password: testPassword }, { clientAddress: uniqueAddress() })).userId;
}

beforeAll(async () => {
  a = await createTenant("Invites A");
  b = await createTenant("Invites B");
});

describe("invitations", () => {
  it("lets an invitee join with the chosen role, once", async () => {
    const { secret, path } = await createInvitation(a, { role: "admin", expiresInDays: 7 });
    expect(path).toBe(`/invite/${a.tenantId}/${secret}`);
    expect(await previewInvitation(a.tenantId, secret)).toMatchObject({ tenantName: "Invites A", role: "admin" });

    const userId = await newUser();
    expect(await acceptInvitation({ tenantId: a.tenantId, secret, userId })).toEqual({ tenantId: a.tenantId, role: "admin", alreadyMember: false });
    expect((await listMembers(a)).find((m) => m.userId === userId)?.role).toBe("admin");

    const second = await newUser();
    await expect(acceptInvitation({ tenantId: a.tenantId, secret, userId: second })).rejects.toMatchObject({
      code: "gone",
      message: expect.stringMatching(/already been used/),
    });
    expect((await listMembers(a)).some((m) => m.userId === second)).toBe(false);
  });

  it("refuses an expired invitation", async () => {
    const created = new Date(Date.now() - 3 * 86_400_000);
    const { secret } = await createInvitation(a, { role: "member", expiresInDays: 1 }, created);
    await expect(previewInvitation(a.tenantId, secret)).rejects.toMatchObject({ code: "gone", message: expect.stringMatching(/expired/) });
    await expect(acceptInvitation({ tenantId: a.tenantId, secret, userId: await newUser() })).rejects.toMatchObject({ code: "gone" });
  });

  it("refuses a revoked invitation", async () => {
    const { secret, invitation } = await createInvitation(a, { role: "member", expiresInDays: 1 });
    await revokeInvitation(a, invitation.id);
    await expect(acceptInvitation({ tenantId: a.tenantId, secret, userId: await newUser() })).rejects.toMatchObject({
      code: "gone",
      message: expect.stringMatching(/withdrawn/),
    });
  });

  it("refuses another tenant's token and a forged one", async () => {
    const { secret: secretOfB } = await createInvitation(b, { role: "admin", expiresInDays: 7 });
    const userId = await newUser();
    await expect(acceptInvitation({ tenantId: a.tenantId, secret: secretOfB, userId })).rejects.toMatchObject({ code: "not_found" });
    await expect(acceptInvitation({ tenantId: a.tenantId, secret: "not-a-real-secret", userId })).rejects.toMatchObject({ code: "not_found" });
    expect((await listMembers(a)).some((m) => m.userId === userId)).toBe(false);
    // B's invitation is still there, unused, for the person it was meant for.
    await expect(previewInvitation(b.tenantId, secretOfB)).resolves.toMatchObject({ tenantName: "Invites B" });
  });

  it("stores only a hash of the secret", async () => {
    const { secret, invitation } = await createInvitation(a, { role: "member", expiresInDays: 1 });
    const [row] = await withSystem("test: inspect stored invitation", (tx) => tx.select().from(invitations).where(eq(invitations.id, invitation.id)));
    expect(row?.tokenHash).not.toContain(secret);
    expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("leaves the link unspent when an existing member opens it", async () => {
    const member = await addMember(a, "member");
    const { secret } = await createInvitation(a, { role: "admin", expiresInDays: 1 });
    expect(await acceptInvitation({ tenantId: a.tenantId, secret, userId: member.userId })).toMatchObject({ alreadyMember: true, role: "member" });
    await expect(previewInvitation(a.tenantId, secret)).resolves.toMatchObject({ role: "admin" });
  });

  it("lets only owners and admins create and list invitations", async () => {
    const member = await addMember(a, "member");
    await expect(createInvitation(member, { role: "member", expiresInDays: 1 })).rejects.toMatchObject({ code: "forbidden" });
    expect(() => listPendingInvitations(member)).toThrow(/Only owners and admins/);
    const pending = await listPendingInvitations(a);
    expect(pending.every((i) => i.tenantId === a.tenantId && !i.acceptedAt && !i.revokedAt)).toBe(true);
  });
});
