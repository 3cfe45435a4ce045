// A member sees their own usage and what is left of their allowance, and nothing of anyone else's:
// their report holds only their events, every path to the workspace's figures refuses them (403),
// and their period list names only months they used.
import { beforeAll, describe, expect, it } from "vitest";
import { getInvoice } from "@/lib/billing/invoice";
import { invoiceCsvResponse } from "@/lib/billing/invoice-csv-response";
import { periodOf } from "@/lib/billing/periods";
import { createApiKey } from "@/lib/auth/api-keys";
import { addMember, createTenant } from "@/test/fixtures";
import { newGateway, setLimits, startFakeProvidersForFile, testConfig, userPrompt } from "@/test/gateway-harness";
import { dayOf, insertEvents, makeEvents, pickTotals, readEvents, totalsBy, totalsOf } from "@/test/usage-events";
import { getMemberUsageReport } from "./member-report";
import { listUsagePeriods } from "./periods";
import { getAdminUsageReport } from "./report";

const servers = startFakeProvidersForFile();

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;
let member: Awaited<ReturnType<typeof addMember>>;
let colleague: Awaited<ReturnType<typeof addMember>>;
let keyId: string;

beforeAll(async () => {
  owner = await createTenant("Isolation");
  member = await addMember(owner, "member");
  colleague = await addMember(owner, "member");
  keyId = (await createApiKey(owner, "Owner's key")).summary.id;
  await insertEvents(
    owner.tenantId,
    makeEvents(
      owner.tenantId,
      800,
      "2025-06-01T00:00:00Z",
      "2025-08-01T00:00:00Z",
      { userIds: [owner.userId, member.userId, colleague.userId, null], apiKeyIds: [keyId, null] },
      51,
    ),
  );
  // A month in which only others worked.
  await insertEvents(
    owner.tenantId,
    makeEvents(owner.tenantId, 50, "2025-05-01T00:00:00Z", "2025-06-01T00:00:00Z", { userIds: [owner.userId, colleague.userId], apiKeyIds: [null] }, 52),
  );
});

describe("a member", () => {
  it("sees exactly their own usage, and nothing that names or counts anyone else", async () => {
    const events = await readEvents(owner.tenantId);
    for (const period of ["2025-06-01", "2025-07-01"]) {
      const report = await getMemberUsageReport(member, period);
      const mine = events.filter((e) => e.userId === member.userId && e.createdAt.toISOString().startsWith(period.slice(0, 7)));
      expect(mine.length).toBeGreaterThan(0);
      expect(pickTotals(report.totals)).toEqual(totalsOf(mine));
      const perDay = totalsBy(mine, dayOf);
      for (const day of report.byDay) expect(pickTotals(day)).toEqual(perDay.get(day.day) ?? totalsOf([]));
      expect(new Map(report.byFeature.map((f) => [f.feature, pickTotals(f)]))).toEqual(totalsBy(mine, (e) => e.feature));

      const everyone = totalsOf(events.filter((e) => e.createdAt.toISOString().startsWith(period.slice(0, 7))));
      expect(report.totals.requests).toBeLessThan(everyone.requests);
      const text = JSON.stringify(report);
      for (const other of [owner.userId, colleague.userId, keyId, owner.tenantId]) expect(text).not.toContain(other);
      expect(Object.keys(report).sort()).toEqual(["allowance", "byDay", "byFeature", "isCurrent", "kind", "late", "periodStart", "totals"]);
    }
  });

  it("gets 403 from every path to the workspace's figures", async () => {
    await expect(getAdminUsageReport(member, "2025-06-01")).rejects.toMatchObject({ code: "forbidden", status: 403 });
    await expect(getInvoice(member, "2025-06-01")).rejects.toMatchObject({ code: "forbidden", status: 403 });
    await expect(invoiceCsvResponse(member, "2025-06")).rejects.toMatchObject({ code: "forbidden", status: 403 });
  });

  it("is offered only the months they used", async () => {
    const now = new Date("2025-09-10T00:00:00Z");
    expect(await listUsagePeriods(member, now)).toEqual(["2025-09-01", "2025-07-01", "2025-06-01"]);
    expect(await listUsagePeriods(owner, now)).toEqual(["2025-09-01", "2025-07-01", "2025-06-01", "2025-05-01"]);
  });

  it("sees what is left of their own allowance, as the gateway counts it", async () => {
    const tenant = await createTenant("Isolation caps");
    const capped = await addMember(tenant, "member");
    await setLimits(tenant, { memberMonthlyTokenCap: 10_000 });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    servers.openai.setDefault({ kind: "text", text: "counted", usage: { input: 120, output: 30 } });
    for (const who of [capped, capped, capped, tenant]) {
      await gateway.generate(
        { tenantId: tenant.tenantId, userId: who.userId, feature: "chat", cache: { noCache: true, noStore: true } },
        { role: "chat", prompt: userPrompt("hello") },
      );
    }
    await gateway.flush();
    const report = await getMemberUsageReport(capped, periodOf(new Date()));
    expect(report.isCurrent).toBe(true);
    expect(report.totals.inputTokens + report.totals.outputTokens).toBe(450);
    expect(report.allowance).toEqual({ cap: 10_000, countedTokens: 450, reservedTokens: 0, remainingTokens: 9_550 });
    // The owner's call is theirs alone: neither in the member's figures nor in their allowance.
    expect(report.totals.requests).toBe(3);
  });
});
