import { describe, expect, it } from "vitest";
import { maxOwnedWorkspaces } from "@/lib/config/security-settings";
import { createWorkspace, getTenant, listTenantsOfUser, renameTenant, slugify } from "./tenants";
import { addMember, createTenant } from "@/test/fixtures";

describe("tenants", () => {
  it("makes readable slugs", () => {
    expect(slugify("  Ärger & Co. GmbH ")).toBe("arger-co-gmbh");
    expect(slugify("!!!")).toBe("workspace");
  });

  it("keeps slugs unique across tenants", async () => {
    const name = `Same Name ${Date.now()}`;
    const first = await createTenant(name);
    const second = await createTenant(name);
    const [slugA, slugB] = [(await getTenant(first)).slug, (await getTenant(second)).slug];
    expect(slugA).toBe(slugify(name));
    expect(slugB).toMatch(new RegExp(`^${slugify(name)}-[0-9a-f]{6}$`));
  });

  it("lists only the tenants a user belongs to, with their role in each", async () => {
    const a = await createTenant("Alpha");
    const b = await createTenant("Beta");
    const member = await addMember(b, "member");
    const third = await createWorkspace(member.userId, "Gamma");
    expect((await listTenantsOfUser(member.userId)).map((t) => [t.id, t.role])).toEqual([
      [b.tenantId, "member"],
      [third.id, "owner"],
    ]);
    expect((await listTenantsOfUser(a.userId)).map((t) => t.id)).toEqual([a.tenantId]);
  });

  it("renames only the caller's tenant", async () => {
    const a = await createTenant("Rename A");
    const b = await createTenant("Rename B");
    await renameTenant(a, "Renamed");
    expect((await getTenant(a)).name).toBe("Renamed");
    expect((await getTenant(b)).name).toBe("Rename B");
  });

  it("lets one user own at most KEEL_MAX_OWNED_WORKSPACES workspaces (5 by default)", async () => {
    expect(maxOwnedWorkspaces({})).toBe(5);
    const owner = await createTenant("Cap 1");
    for (let i = 2; i <= 5; i++) await createWorkspace(owner.userId, `Cap ${i}`);
    await expect(createWorkspace(owner.userId, "Cap 6")).rejects.toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/already own 5 workspaces/),
      fieldErrors: { workspaceName: expect.any(String) },
    });
    expect((await listTenantsOfUser(owner.userId)).filter((t) => t.role === "owner")).toHaveLength(5);
    // Memberships that are not ownerships do not count.
    const member = await addMember(owner, "admin");
    await expect(createWorkspace(member.userId, "Own one", { maxOwnedWorkspaces: 1 })).resolves.toMatchObject({ name: "Own one" });
  });

  it("lets only one of several parallel creations take the last place under the cap", async () => {
    const owner = await createTenant("Race 1");
    await createWorkspace(owner.userId, "Race 2");
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => createWorkspace(owner.userId, `Race parallel ${i}`, { maxOwnedWorkspaces: 3 })),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason.code)).toEqual([
      "forbidden",
      "forbidden",
      "forbidden",
    ]);
    expect((await listTenantsOfUser(owner.userId)).filter((t) => t.role === "owner")).toHaveLength(3);
  });
});
