import { beforeEach, describe, expect, it } from "vitest";
import { changeMemberRole, listMembers, removeMember } from "./members";
import { addMember, createTenant } from "@/test/fixtures";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;

beforeEach(async () => {
  owner = await createTenant("Members");
});

const roleOf = async (userId: string) => (await listMembers(owner)).find((m) => m.userId === userId)?.role;

describe("the last-owner rule", () => {
  it("refuses to demote or remove the only owner, even by themselves", async () => {
    await expect(changeMemberRole(owner, owner.userId, "admin")).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringMatching(/at least one owner/),
    });
    await expect(removeMember(owner, owner.userId)).rejects.toMatchObject({ code: "conflict" });
    expect(await roleOf(owner.userId)).toBe("owner");
  });

  it("allows it once another owner exists", async () => {
    const admin = await addMember(owner, "admin");
    await changeMemberRole(owner, admin.userId, "owner");
    await changeMemberRole(owner, owner.userId, "member");
    expect(await roleOf(owner.userId)).toBe("member");
    expect(await roleOf(admin.userId)).toBe("owner");
  });

  it("lets exactly one of two owners step down when both try at once", async () => {
    const second = await addMember(owner, "admin");
    await changeMemberRole(owner, second.userId, "owner");
    const secondCtx = { ...second, role: "owner" as const };
    const results = await Promise.allSettled([removeMember(owner, owner.userId), removeMember(secondCtx, second.userId)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const owners = (await listMembers(results[0]!.status === "fulfilled" ? secondCtx : owner)).filter((m) => m.role === "owner");
    expect(owners).toHaveLength(1);
  });
});

describe("role changes and removal", () => {
  it("keeps admins away from owners and members away from everything", async () => {
    const admin = await addMember(owner, "admin");
    const member = await addMember(owner, "member");
    await expect(changeMemberRole(admin, owner.userId, "member")).rejects.toMatchObject({ code: "forbidden" });
    await expect(changeMemberRole(admin, member.userId, "owner")).rejects.toMatchObject({ code: "forbidden" });
    await expect(removeMember(admin, owner.userId)).rejects.toMatchObject({ code: "forbidden" });
    await expect(changeMemberRole(member, admin.userId, "member")).rejects.toMatchObject({ code: "forbidden" });
    await expect(removeMember(member, admin.userId)).rejects.toMatchObject({ code: "forbidden" });

    await changeMemberRole(admin, member.userId, "admin");
    expect(await roleOf(member.userId)).toBe("admin");
    await removeMember(admin, member.userId);
    expect(await roleOf(member.userId)).toBeUndefined();
  });

  it("lets a member leave", async () => {
    const member = await addMember(owner, "member");
    await removeMember(member, member.userId);
    expect(await roleOf(member.userId)).toBeUndefined();
  });

  it("reports a stranger as not found rather than touching anything", async () => {
    const other = await createTenant("Elsewhere");
    await expect(removeMember(owner, other.userId)).rejects.toMatchObject({ code: "not_found" });
    await expect(changeMemberRole(owner, other.userId, "admin")).rejects.toMatchObject({ code: "not_found" });
    expect((await listMembers(other)).map((m) => m.role)).toEqual(["owner"]);
  });
});
