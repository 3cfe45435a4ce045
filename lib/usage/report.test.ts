// Every figure on the Usage page equals the usage events it stands for (checked against events read
// back and added up here): totals, each day, each model, feature, member and API key, cache
// savings, late events, output quality, and paid usage apart from the offline model's.
import { beforeAll, describe, expect, it } from "vitest";
import type { UsageEvent } from "@/db/schema";
import { createApiKey, revokeApiKey } from "@/lib/auth/api-keys";
import { closeTenantPeriods } from "@/lib/billing/close-periods";
import { daysOf } from "@/lib/billing/periods";
import { removeMember } from "@/lib/tenancy/members";
import { addMember, createTenant } from "@/test/fixtures";
import { dayOf, insertEvents, makeEvents, ownPeriodOf, pickTotals, readEvents, totalsBy, totalsOf, type Totals } from "@/test/usage-events";
import type { UsageFigures } from "./figures";
import { getAdminUsageReport } from "./report";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;
let member: Awaited<ReturnType<typeof addMember>>;
let leaver: Awaited<ReturnType<typeof addMember>>;
let keys: { live: string; revoked: string };
let november: UsageEvent[];
let late: UsageEvent[];

const asMap = <T extends UsageFigures>(rows: T[], keyOf: (row: T) => string) => new Map(rows.map((row) => [keyOf(row), pickTotals(row)]));

beforeAll(async () => {
  owner = await createTenant("Report");
  member = await addMember(owner, "member");
  leaver = await addMember(owner, "member");
  keys = { live: (await createApiKey(owner, "Live key")).summary.id, revoked: (await createApiKey(owner, "Old key")).summary.id };
  const actors = { userIds: [owner.userId, member.userId, leaver.userId, null], apiKeyIds: [keys.live, keys.revoked, null, null] };
  await insertEvents(owner.tenantId, makeEvents(owner.tenantId, 1_500, "2025-10-20T00:00:00Z", "2025-12-01T00:00:00Z", actors, 41));
  await closeTenantPeriods(owner.tenantId, "2025-10-01");
  const arriving = makeEvents(owner.tenantId, 35, "2025-10-02T00:00:00Z", "2025-11-01T00:00:00Z", actors, 42);
  const lateIds = new Set(arriving.map((e) => e.requestId));
  await insertEvents(owner.tenantId, arriving);
  await revokeApiKey(owner, keys.revoked);
  await removeMember(owner, leaver.userId);
  const events = await readEvents(owner.tenantId);
  late = events.filter((e) => lateIds.has(e.requestId));
  november = events.filter((e) => ownPeriodOf(e) === "2025-11-01");
  expect(late).toHaveLength(35);
});

describe("the usage report", () => {
  it("adds up to the events, slice by slice, to the micro-dollar", async () => {
    const report = await getAdminUsageReport(owner, "2025-11-01", new Date("2026-01-15T12:00:00Z"));
    const billed = [...november, ...late];
    expect(report).toMatchObject({ kind: "admin", periodStart: "2025-11-01", isCurrent: false, closed: false, forecast: null });
    expect(pickTotals(report.totals)).toEqual(totalsOf(billed));

    const byDay = totalsBy(november, dayOf);
    expect(report.byDay.map((d) => d.day)).toEqual(daysOf("2025-11-01"));
    for (const day of report.byDay) expect(pickTotals(day)).toEqual(byDay.get(day.day) ?? totalsOf([]));
    expect(pickTotals(report.late)).toEqual(totalsOf(late));
    expect(report.late.days).toEqual([...new Set(late.map(dayOf))].sort());

    expect(asMap(report.byModel, (m) => `${m.provider}|${m.model}`)).toEqual(totalsBy(billed, (e) => `${e.provider}|${e.model}`));
    expect(asMap(report.byFeature, (f) => f.feature)).toEqual(totalsBy(billed, (e) => e.feature));
    expect(asMap(report.byMember, (m) => m.userId ?? "none")).toEqual(totalsBy(billed, (e) => e.userId ?? "none"));
    expect(asMap(report.byApiKey, (k) => k.apiKeyId)).toEqual(
      totalsBy(
        billed.filter((e) => e.apiKeyId),
        (e) => e.apiKeyId!,
      ),
    );
    // Names as the tenant may see them: a former member's is no longer visible.
    const names = new Map(report.byMember.map((m) => [m.userId, m.name]));
    expect(names.get(member.userId)).toBe("A member");
    expect(names.get(leaver.userId)).toBeNull();
    expect(names.get(null)).toBeNull();
    expect(report.byApiKey.find((k) => k.apiKeyId === keys.revoked)).toMatchObject({ name: "Old key", revoked: true });
    expect(report.byApiKey.find((k) => k.apiKeyId === keys.live)).toMatchObject({ name: "Live key", revoked: false });

    const totals: Totals = totalsOf(billed);
    expect(report.cache).toEqual({
      exact: billed.filter((e) => e.cacheStatus === "exact").length,
      semantic: billed.filter((e) => e.cacheStatus === "semantic").length,
      savedMicroUsd: totals.savedMicroUsd,
      hitRate: totals.cacheHits / totals.requests,
    });
    const quality = new Map<string, { pass: number; repaired: number; failed: number }>();
    for (const e of billed.filter((x) => x.validation)) {
      const q = quality.get(`${e.feature}|${e.model}`) ?? { pass: 0, repaired: 0, failed: 0 };
      q[e.validation === "pass" ? "pass" : e.validation === "repaired" ? "repaired" : "failed"]++;
      quality.set(`${e.feature}|${e.model}`, q);
    }
    expect(new Map(report.quality.map(({ feature, model, ...q }) => [`${feature}|${model}`, q]))).toEqual(quality);

    // The offline model's calls are shown apart, and what counts against the allowance excludes them.
    const offline = totalsOf(billed.filter((e) => e.provider === "offline"));
    const paid = totalsOf(billed.filter((e) => e.provider !== "offline"));
    expect(offline.requests).toBeGreaterThan(0);
    expect(pickTotals(report.offline)).toEqual(offline);
    expect(pickTotals(report.paid)).toEqual(paid);
    // A past period is all actual: the running totals (paid usage) end at the period's paid totals.
    expect(report.cumulative.tokens.at(-1)).toEqual({ day: "2025-11-30", actual: paid.inputTokens + paid.outputTokens, projected: null });
    expect(report.cumulative.microUsd.at(-1)?.actual).toBe(paid.costMicroUsd);
  });

  it("marks a closed period, and shows another tenant none of it", async () => {
    const october = await getAdminUsageReport(owner, "2025-10-01");
    expect(october.closed).toBe(true);
    expect(pickTotals(october.totals)).toEqual(
      totalsOf((await readEvents(owner.tenantId)).filter((e) => ownPeriodOf(e) === "2025-10-01" && !late.some((l) => l.requestId === e.requestId))),
    );

    const stranger = await createTenant("Report stranger");
    const theirs = await getAdminUsageReport(stranger, "2025-11-01");
    expect(pickTotals(theirs.totals)).toEqual(totalsOf([]));
    expect([theirs.byModel, theirs.byMember, theirs.byApiKey, theirs.byFeature].every((slice) => slice.length === 0)).toBe(true);
  });

  it("refuses members", async () => {
    await expect(getAdminUsageReport(member, "2025-11-01")).rejects.toMatchObject({ code: "forbidden", status: 403 });
  });
});
