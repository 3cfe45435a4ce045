// A closed billing period never changes: its snapshot equals the events it billed, later events
// dated in it are billed in the first open period (and said to be late), and the database refuses
// to alter the snapshot, the late-event records or the events themselves.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { billingLines, billingPeriods, usageLateEvents, usageRollups, type UsageEvent } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem, withTenant } from "@/db/scope";
import { getAdminUsageReport } from "@/lib/usage/report";
import { createTenant } from "@/test/fixtures";
import { insertEvents, makeEvents, ownPeriodOf, pickTotals, readEvents, totalsOf } from "@/test/usage-events";
import { closeDueBillingPeriods, closeTenantPeriods } from "./close-periods";
import { getInvoice } from "./invoice";
import { centsOf } from "./money";
import { periodOf } from "./periods";

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => "allowed",
    (e: unknown) => String((e as Error).cause ?? e),
  );

async function snapshotOf(tenantId: string, periods: string[]) {
  return withTenant(tenantId, async (tx) => ({
    periods: (await tx.select().from(billingPeriods)).filter((p) => periods.includes(p.periodStart)),
    lines: (await tx.select().from(billingLines)).filter((l) => periods.includes(l.periodStart)),
    rollups: (await tx.select().from(usageRollups)).filter((r) => periods.includes(r.periodStart)),
  }));
}

function expectedLines(events: UsageEvent[]) {
  const lines = new Map<string, { requests: number; inputTokens: number; outputTokens: number; costMicroUsd: number; savedMicroUsd: number }>();
  for (const e of events) {
    const key = `${e.provider}|${e.model}|${e.feature}`;
    const line = lines.get(key) ?? { requests: 0, inputTokens: 0, outputTokens: 0, costMicroUsd: 0, savedMicroUsd: 0 };
    line.requests++;
    line.inputTokens += e.inputTokens;
    line.outputTokens += e.outputTokens;
    line.costMicroUsd += e.costMicroUsd;
    line.savedMicroUsd += e.savedMicroUsd;
    lines.set(key, line);
  }
  return new Map([...lines].map(([key, line]) => [key, { ...line, amountCents: centsOf(line.costMicroUsd) }]));
}

describe("closing billing periods", () => {
  it("snapshots each past month from the events, and bills events that arrive later in the first open month", async () => {
    const owner = await createTenant("Billing close");
    const actors = { userIds: [owner.userId, null], apiKeyIds: [null] };
    await insertEvents(owner.tenantId, makeEvents(owner.tenantId, 900, "2025-01-10T00:00:00Z", "2025-04-20T00:00:00Z", actors, 21));

    expect(await closeTenantPeriods(owner.tenantId, "2025-02-01")).toEqual(["2025-01-01", "2025-02-01"]);
    const events = await readEvents(owner.tenantId);
    for (const period of ["2025-01-01", "2025-02-01"]) {
      const own = events.filter((e) => ownPeriodOf(e) === period);
      const invoice = await getInvoice(owner, period);
      expect(invoice.status).toBe("closed");
      const lines = new Map(invoice.lines.map(({ provider, model, feature, ...figures }) => [`${provider}|${model}|${feature}`, figures]));
      expect(lines).toEqual(expectedLines(own));
      const totals = totalsOf(own);
      expect(invoice.totals).toMatchObject({ requests: totals.requests, costMicroUsd: totals.costMicroUsd, savedMicroUsd: totals.savedMicroUsd });
      expect(invoice.totals.amountCents).toBe([...expectedLines(own).values()].reduce((sum, l) => sum + l.amountCents, 0));
      const report = await getAdminUsageReport(owner, period);
      expect(report.closed).toBe(true);
      expect(pickTotals(report.totals)).toEqual(totals);
    }

    const before = await snapshotOf(owner.tenantId, ["2025-01-01", "2025-02-01"]);
    const late = makeEvents(owner.tenantId, 40, "2025-01-05T00:00:00Z", "2025-03-01T00:00:00Z", actors, 22);
    await insertEvents(owner.tenantId, late, 15);
    expect(await snapshotOf(owner.tenantId, ["2025-01-01", "2025-02-01"])).toEqual(before);

    // The late events went to March, the first open month, each with a record saying where it came from.
    const records = await withTenant(owner.tenantId, (tx) => tx.select().from(usageLateEvents));
    expect(records).toHaveLength(40);
    expect(new Set(records.map((r) => r.periodStart))).toEqual(new Set(["2025-03-01"]));
    expect(records.every((r) => r.ownPeriod === "2025-01-01" || r.ownPeriod === "2025-02-01")).toBe(true);
    const lateEvents = (await readEvents(owner.tenantId)).filter((e) => late.some((l) => l.requestId === e.requestId));
    const march = await getAdminUsageReport(owner, "2025-03-01");
    expect(pickTotals(march.late)).toEqual(totalsOf(lateEvents));
    expect(pickTotals(march.totals)).toEqual(totalsOf([...events.filter((e) => ownPeriodOf(e) === "2025-03-01"), ...lateEvents]));
    const marchInvoice = await getInvoice(owner, "2025-03-01");
    expect(marchInvoice).toMatchObject({ status: "open", late: { requests: 40, costMicroUsd: totalsOf(lateEvents).costMicroUsd } });

    // Closing March keeps the late events visible in its snapshot; closing again closes nothing.
    expect(await closeTenantPeriods(owner.tenantId, "2025-03-01")).toEqual(["2025-03-01"]);
    expect(await getInvoice(owner, "2025-03-01")).toEqual({ ...marchInvoice, status: "closed", closedAt: expect.any(Date) });
    expect(await closeTenantPeriods(owner.tenantId, "2025-03-01")).toEqual([]);
    await expect(closeTenantPeriods(owner.tenantId, periodOf(new Date()))).rejects.toThrow(/not over/);
  });

  it("refuses to change a snapshot, the late-event records or the events, on every path", async () => {
    const owner = await createTenant("Billing immutable");
    await insertEvents(
      owner.tenantId,
      makeEvents(owner.tenantId, 30, "2025-05-01T00:00:00Z", "2025-06-01T00:00:00Z", { userIds: [null], apiKeyIds: [null] }, 23),
    );
    await closeTenantPeriods(owner.tenantId, "2025-05-01");
    await insertEvents(
      owner.tenantId,
      makeEvents(owner.tenantId, 2, "2025-05-01T00:00:00Z", "2025-06-01T00:00:00Z", { userIds: [null], apiKeyIds: [null] }, 24),
    );
    const asTenant = (fn: (tx: Tx) => Promise<unknown>) => withTenant(owner.tenantId, fn);
    const asSystem = (fn: (tx: Tx) => Promise<unknown>) => withSystem("test: try to rewrite a closed period", fn);
    for (const scope of [asTenant, asSystem]) {
      expect(await refusal(scope((tx) => tx.update(billingLines).set({ amountCents: 0 })))).toMatch(/permission denied/);
      expect(await refusal(scope((tx) => tx.update(billingPeriods).set({ amountCents: 0 })))).toMatch(/permission denied/);
      expect(await refusal(scope((tx) => tx.delete(billingLines)))).toMatch(/permission denied/);
      expect(await refusal(scope((tx) => tx.delete(billingPeriods)))).toMatch(/permission denied/);
      expect(await refusal(scope((tx) => tx.delete(usageLateEvents)))).toMatch(/permission denied/);
      expect(await refusal(scope((tx) => tx.execute(sql`update usage_events set cost_micro_usd = 0`)))).toMatch(/permission denied/);
      expect(await refusal(scope((tx) => tx.execute(sql`delete from usage_events`)))).toMatch(/permission denied/);
      expect(await refusal(scope((tx) => tx.delete(usageRollups)))).toMatch(/permission denied/);
    }
  });

  it.skipIf(!process.env.DATABASE_URL)("waits for a batch in flight, then bills the batches after it as late", async () => {
    const owner = await createTenant("Billing race");
    const actors = { userIds: [owner.userId], apiKeyIds: [null] };
    await insertEvents(owner.tenantId, makeEvents(owner.tenantId, 10, "2025-07-01T00:00:00Z", "2025-08-01T00:00:00Z", actors, 25));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertDone = new Promise<void>((resolve) => (inserted = resolve));
    const inFlight = withTenant(owner.tenantId, async (tx) => {
      await tx.execute(sql`insert into usage_events (tenant_id, request_id, feature, role, provider, model, input_tokens, output_tokens,
        cost_micro_usd, latency_ms, cache_status, status, created_at)
        values (${owner.tenantId}, 'in-flight', 'chat', 'chat', 'openai', 'gpt-4o', 10, 10, 777, 5, 'miss', 'ok', '2025-07-31T23:59:59Z')`);
      inserted();
      await held;
    });
    await insertDone;
    let closedAt = 0;
    const closing = closeTenantPeriods(owner.tenantId, "2025-07-01").then((periods) => ((closedAt = Date.now()), periods));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closedAt).toBe(0);
    const releasedAt = Date.now();
    release();
    await inFlight;
    expect(await closing).toEqual(["2025-07-01"]);
    expect(closedAt).toBeGreaterThanOrEqual(releasedAt);

    const invoice = await getInvoice(owner, "2025-07-01");
    expect(invoice.totals.requests).toBe(11);
    expect(invoice.totals.costMicroUsd).toBe(totalsOf(await readEvents(owner.tenantId)).costMicroUsd);
    await insertEvents(owner.tenantId, makeEvents(owner.tenantId, 3, "2025-07-15T00:00:00Z", "2025-07-16T00:00:00Z", actors, 26));
    expect((await getInvoice(owner, "2025-07-01")).totals.requests).toBe(11);
    expect((await getInvoice(owner, "2025-08-01")).late.requests).toBe(3);
  });

  it("closes last month on the daily run for tenants that have it due, once", async () => {
    const owner = await createTenant("Billing cron");
    await insertEvents(
      owner.tenantId,
      makeEvents(owner.tenantId, 25, "2024-01-03T00:00:00Z", "2024-03-01T00:00:00Z", { userIds: [null], apiKeyIds: [null] }, 27),
    );
    const first = await closeDueBillingPeriods(new Date("2024-03-10T08:00:00Z"));
    expect(first.tenants).toBeGreaterThanOrEqual(1);
    const closed = await withTenant(owner.tenantId, (tx) =>
      tx.select({ period: billingPeriods.periodStart, requests: billingPeriods.requests }).from(billingPeriods),
    );
    expect(closed.map((c) => c.period).sort()).toEqual(["2024-01-01", "2024-02-01"]);
    expect(closed.reduce((sum, c) => sum + c.requests, 0)).toBe(25);
    const again = await closeDueBillingPeriods(new Date("2024-03-11T08:00:00Z"));
    expect(await withTenant(owner.tenantId, (tx) => tx.select().from(billingPeriods))).toHaveLength(2);
    expect(again.periods).toBeLessThanOrEqual(first.periods);
  });
});
