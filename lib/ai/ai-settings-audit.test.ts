// Every change to a tenant's quota settings is in its audit log (who, what, before, after), and
// owners and admins can browse and filter the log; members cannot.
import { describe, expect, it } from "vitest";
import { listAuditActions, listAuditEntries } from "@/lib/tenancy/audit-log";
import { describeAuditEntry } from "@/lib/tenancy/describe-audit-entry";
import { addMember, createTenant } from "@/test/fixtures";
import { setLimits } from "@/test/gateway-harness";
import { updateAiSettings } from "./ai-settings";

const settingChanges = async (ctx: Awaited<ReturnType<typeof createTenant>>) =>
  (await listAuditEntries(ctx, { action: "ai_settings.changed" }, 500)).entries.map((e) => ({
    actor: e.actorUserId,
    setting: e.metadata.setting,
    before: e.metadata.before,
    after: e.metadata.after,
  }));

describe("quota settings audit", () => {
  it("records who changed which setting, from what to what, once per change", async () => {
    const owner = await createTenant("Audit quota");
    const admin = await addMember(owner, "admin");
    const member = await addMember(owner, "member");
    const webhook = "https://hooks.example.test/services/T0001/secret-token-123?sig=abc";

    await setLimits(owner, {
      monthlyTokenLimit: 100_000,
      monthlyUsdLimit: 2.5,
      memberMonthlyTokenCap: 5_000,
      softLimitPercent: 70,
      downgradeAtSoftLimit: true,
      warningWebhookUrl: webhook,
    });
    const first = await settingChanges(owner);
    expect(first).toHaveLength(6);
    expect(new Map(first.map(({ setting, before, after, actor }) => [setting, { before, after, actor }]))).toEqual(
      new Map([
        ["monthlyTokenLimit", { before: null, after: 100_000, actor: owner.userId }],
        ["monthlyMicroUsdLimit", { before: null, after: 2_500_000, actor: owner.userId }],
        ["memberMonthlyTokenCap", { before: null, after: 5_000, actor: owner.userId }],
        ["softLimitPercent", { before: 80, after: 70, actor: owner.userId }],
        ["downgradeAtSoftLimit", { before: false, after: true, actor: owner.userId }],
        [
          "warningWebhookUrl",
          { before: null, after: expect.stringMatching(/^https:\/\/hooks\.example\.test\/… \(sha256 [0-9a-f]{8}\)$/), actor: owner.userId },
        ],
      ]),
    );
    // The URL's token is never kept in the log.
    const all = await listAuditEntries(owner, {}, 500);
    expect(JSON.stringify(all.entries)).not.toContain("secret-token");
    expect(all.entries.map((e) => e.action)).toContain("ai_settings.webhook_secret_created");

    // Saving the same values records nothing; another admin's single change records one entry.
    await setLimits(owner, {
      monthlyTokenLimit: 100_000,
      monthlyUsdLimit: 2.5,
      memberMonthlyTokenCap: 5_000,
      softLimitPercent: 70,
      downgradeAtSoftLimit: true,
      warningWebhookUrl: webhook,
    });
    expect(await settingChanges(owner)).toHaveLength(6);
    await setLimits(admin, {
      monthlyTokenLimit: null,
      monthlyUsdLimit: 2.5,
      memberMonthlyTokenCap: 5_000,
      softLimitPercent: 90,
      downgradeAtSoftLimit: true,
      warningWebhookUrl: webhook,
    });
    const latest = await settingChanges(owner);
    expect(latest).toHaveLength(8);
    expect(latest.slice(0, 2).sort((a, b) => String(a.setting).localeCompare(String(b.setting)))).toEqual([
      { actor: admin.userId, setting: "monthlyTokenLimit", before: 100_000, after: null },
      { actor: admin.userId, setting: "softLimitPercent", before: 70, after: 90 },
    ]);

    // A member can change nothing, and so adds nothing to the log.
    await expect(updateAiSettings(member, { ...latestInput(), softLimitPercent: 10 })).rejects.toMatchObject({ code: "forbidden" });
    expect(await settingChanges(owner)).toHaveLength(8);

    const described = (await listAuditEntries(owner, { action: "ai_settings.changed" }, 500)).entries.map((e) => describeAuditEntry(e).details[0]);
    expect(described).toEqual(
      expect.arrayContaining([
        "Monthly token limit: 100,000 tokens → the plan's allowance",
        "Monthly spending limit: the plan's allowance → $2.50",
        "Warning threshold (%): 70% → 90%",
        "Cheaper models at the warning threshold: off → on",
        "Per-member monthly tokens: no cap → 5,000 tokens",
      ]),
    );
  });

  it("lets owners and admins browse and filter the log by action, person and date, page by page", async () => {
    const owner = await createTenant("Audit browse");
    const admin = await addMember(owner, "admin");
    const member = await addMember(owner, "member");
    for (let i = 0; i < 7; i++) await setLimits(i % 2 ? admin : owner, { softLimitPercent: 50 + i });
    const stranger = await createTenant("Audit stranger");
    await setLimits(stranger, { softLimitPercent: 33 });

    const everything = await listAuditEntries(admin, {}, 500);
    expect(everything.nextCursor).toBeNull();
    expect(everything.entries.every((e, i, all) => i === 0 || all[i - 1]!.createdAt >= e.createdAt)).toBe(true);
    expect(JSON.stringify(everything.entries)).not.toContain(stranger.userId);

    const byAdmin = await listAuditEntries(owner, { actor: admin.userId, action: "ai_settings.changed" }, 500);
    expect(byAdmin.entries).toHaveLength(3);
    expect(byAdmin.entries.every((e) => e.actorUserId === admin.userId && e.actorName === "A admin")).toBe(true);

    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect((await listAuditEntries(owner, { from: today, to: today }, 500)).entries).toHaveLength(everything.entries.length);
    expect((await listAuditEntries(owner, { to: yesterday }, 500)).entries).toHaveLength(0);

    // Pages of 3 walk the whole log once, in order.
    const walked: string[] = [];
    let before: string | undefined;
    do {
      const page = await listAuditEntries(owner, { before }, 3);
      walked.push(...page.entries.map((e) => e.id));
      before = page.nextCursor ?? undefined;
    } while (before);
    expect(walked).toEqual(everything.entries.map((e) => e.id));

    expect(await listAuditActions(owner)).toEqual(expect.arrayContaining(["ai_settings.changed", "invitation.accepted", "tenant.created"]));
    await expect(listAuditEntries(member, {})).rejects.toMatchObject({ code: "forbidden", status: 403 });
    await expect(listAuditActions(member)).rejects.toMatchObject({ code: "forbidden", status: 403 });
  });
});

function latestInput() {
  return {
    monthlyTokenLimit: null,
    monthlyUsdLimit: 2.5,
    memberMonthlyTokenCap: 5_000,
    softLimitPercent: 90,
    downgradeAtSoftLimit: true,
    warningWebhookUrl: null,
  };
}
