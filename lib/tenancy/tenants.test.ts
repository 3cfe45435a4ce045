import { describe, expect, it } from "vitest";
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
});
