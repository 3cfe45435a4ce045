// The observability figures reconcile exactly with the usage events, jobs and answers they come
// from (checked against aggregations done here from the rows themselves), states change at the
// seed's thresholds, a tenant sees only itself and the platform view sums every tenant. The clock
// is set in 2031 so that only this file's events fall in its windows, whatever else shares the
// database.
import { randomUUID } from "node:crypto";
import { and, eq, isNotNull } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { chatMessages, conversations, jobs, LATENCY_BUCKET_BOUNDS_MS, usageEvents, type NewUsageEvent, type UsageEvent } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { CircuitBreaker } from "@/lib/ai/circuit-breaker";
import { createTenant } from "@/test/fixtures";
import { insertEvents, latencyBucket, makeEvents, readEvents } from "@/test/usage-events";
import type { MetricReading, ObservabilityReport } from "../metric-types";
import { readObservability } from "./index";

const now = new Date("2031-03-10T12:02:30.000Z");
const windowFrom = "2031-03-10T11:05:00.000Z"; // twelve five-minute buckets, the last one filling
const dayFrom = "2031-03-09T13:00:00.000Z"; // whole hours: the current one and the 23 before
const historyFrom = "2031-02-25T00:00:00.000Z";
const MINUTE = 60_000;
const at = (iso: string, offsetMs = 0) => new Date(Date.parse(iso) + offsetMs);
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

type Owner = Awaited<ReturnType<typeof createTenant>>;
let a: Owner;
let b: Owner;
let eventsA: UsageEvent[];
let eventsB: UsageEvent[];
const actors = () => ({ userIds: [...Array.from({ length: 6 }, () => randomUUID()), null], apiKeyIds: [randomUUID(), randomUUID(), null] });

function metric(report: ObservabilityReport, key: string): MetricReading {
  const found = report.metrics.find((m) => m.key === key);
  if (!found) throw new Error(`no metric ${key} in ${report.metrics.map((m) => m.key).join(", ")}`);
  return found;
}

const inWindow = (events: UsageEvent[], from = windowFrom) => events.filter((e) => e.createdAt >= new Date(from) && e.createdAt <= now);
const errorRate = (events: UsageEvent[]) => events.filter((e) => e.status === "error").length / events.length;
const tokens = (events: UsageEvent[]) => events.reduce((sum, e) => sum + e.inputTokens + e.outputTokens, 0);
function p95(events: UsageEvent[]): number {
  const sorted = events.map((e) => e.latencyMs).sort((x, y) => x - y);
  const bucket = latencyBucket(sorted[Math.ceil(sorted.length * 0.95) - 1]!);
  return bucket < LATENCY_BUCKET_BOUNDS_MS.length ? LATENCY_BUCKET_BOUNDS_MS[bucket]! : sorted.at(-1)!;
}
function activeBy(events: UsageEvent[], fromDay: string, toDay: string): Map<string, number> {
  const sets = new Map<string, Set<string>>([["*", new Set()]]);
  for (const e of events) {
    const day = e.createdAt.toISOString().slice(0, 10);
    const actor = e.userId ?? e.apiKeyId;
    if (!actor || day < fromDay || day > toDay) continue;
    (sets.get(e.feature) ?? sets.set(e.feature, new Set()).get(e.feature)!).add(actor);
    sets.get("*")!.add(actor);
  }
  return new Map([...sets].map(([feature, set]) => [feature, set.size]));
}

beforeAll(async () => {
  a = await createTenant("Observability A");
  b = await createTenant("Observability B");
  const actorsA = actors();
  const actorsB = actors();
  await insertEvents(a.tenantId, [
    ...makeEvents(a.tenantId, 400, windowFrom, now.toISOString(), actorsA, 11),
    ...makeEvents(a.tenantId, 900, historyFrom, windowFrom, actorsA, 12),
  ]);
  await insertEvents(b.tenantId, [
    ...makeEvents(b.tenantId, 150, windowFrom, now.toISOString(), actorsB, 21),
    ...makeEvents(b.tenantId, 300, historyFrom, windowFrom, actorsB, 22),
  ]);
  eventsA = await readEvents(a.tenantId);
  eventsB = await readEvents(b.tenantId);
});

describe("readObservability reconciles with the usage events", () => {
  it("error rate, P95 bucket, tokens, cost per call, cache hits, fallbacks and validation failures over the last 60 minutes", async () => {
    const report = await readObservability({ kind: "tenant", tenantId: a.tenantId }, { now, breakers: {} });
    expect(report.window).toMatchObject({ from: windowFrom, to: now.toISOString() });
    const recent = inWindow(eventsA);
    expect(recent.length).toBe(400);
    expect(metric(report, "infrastructure.error_rate").value).toBeCloseTo(errorRate(recent), 12);
    expect(metric(report, "llm.p95_latency").value).toBe(p95(recent));
    expect(metric(report, "llm.tokens").value).toBe(tokens(recent));
    expect(metric(report, "llm.cost_per_request").value).toBeCloseTo(recent.reduce((s, e) => s + e.costMicroUsd, 0) / 1e6 / recent.length, 12);
    const hits = recent.filter((e) => e.cacheStatus === "exact" || e.cacheStatus === "semantic").length;
    expect(metric(report, "llm.cache_hit_rate").value).toBeCloseTo(hits / recent.length, 12);
    expect(metric(report, "llm.fallback_rate").value).toBeCloseTo(recent.filter((e) => e.fallbackCount > 0).length / recent.length, 12);
    const validated = recent.filter((e) => e.validation !== null);
    expect(metric(report, "quality.validation_failure_rate").value).toBeCloseTo(
      validated.filter((e) => e.validation === "failed").length / validated.length,
      12,
    );
    for (const provider of ["openai", "google", "offline"]) {
      const own = recent.filter((e) => e.provider === provider);
      expect(metric(report, `llm.provider_availability.${provider}`).value).toBeCloseTo(1 - errorRate(own), 12);
    }
    expect(report.metrics.some((m) => m.key === "llm.provider_availability.cache")).toBe(false);
  });

  it("each chart day equals that day's events; cost spike is the last 24 hours against the median of the 7 days before today", async () => {
    const report = await readObservability({ kind: "tenant", tenantId: a.tenantId }, { now, breakers: {} });
    const errors = metric(report, "infrastructure.error_rate").history;
    expect(errors).toHaveLength(14);
    expect(errors[0]!.at).toBe(historyFrom);
    for (const point of errors) {
      const day = eventsA.filter((e) => e.createdAt.toISOString().slice(0, 10) === point.at.slice(0, 10));
      expect(point.value).toBeCloseTo(errorRate(day), 12);
    }
    const p95s = metric(report, "llm.p95_latency").history;
    for (const point of p95s) expect(point.value).toBe(p95(eventsA.filter((e) => e.createdAt.toISOString().slice(0, 10) === point.at.slice(0, 10))));

    const costOn = (day: string) => eventsA.filter((e) => e.createdAt.toISOString().slice(0, 10) === day).reduce((s, e) => s + e.costMicroUsd, 0);
    const before = ["2031-03-03", "2031-03-04", "2031-03-05", "2031-03-06", "2031-03-07", "2031-03-08", "2031-03-09"].map(costOn).sort((x, y) => x - y);
    const lastDay = inWindow(eventsA, dayFrom).reduce((s, e) => s + e.costMicroUsd, 0);
    expect(metric(report, "llm.cost_spike").value).toBeCloseTo(lastDay / before[3]!, 12);
  });

  it("weekly active users per feature and their week-over-week change, over the 7 days to yesterday", async () => {
    const report = await readObservability({ kind: "tenant", tenantId: a.tenantId }, { now, breakers: {} });
    const thisWeek = activeBy(eventsA, "2031-03-03", "2031-03-09");
    const lastWeek = activeBy(eventsA, "2031-02-24", "2031-03-02");
    expect(thisWeek.get("*")).toBeGreaterThan(0);
    for (const [feature, users] of thisWeek) {
      const suffix = feature === "*" ? "" : `.${feature}`;
      expect(metric(report, `business.weekly_active_users${suffix}`).value).toBe(users);
      expect(metric(report, `business.weekly_active_users_change${suffix}`).value).toBeCloseTo(users / lastWeek.get(feature)! - 1, 12);
    }
    // A chart point is the 7 days to that day.
    const chart = metric(report, "business.weekly_active_users.chat").history;
    expect(chart.at(-1)!.at.slice(0, 10)).toBe("2031-03-09");
    expect(chart.at(-3)!.value).toBe(activeBy(eventsA, "2031-03-01", "2031-03-07").get("chat") ?? 0);
  });

  it("tenant B sees none of A's figures; the platform view sums every tenant", async () => {
    const reportB = await readObservability({ kind: "tenant", tenantId: b.tenantId }, { now, breakers: {} });
    const recentB = inWindow(eventsB);
    expect(metric(reportB, "llm.tokens").value).toBe(tokens(recentB));
    expect(metric(reportB, "infrastructure.error_rate").value).toBeCloseTo(errorRate(recentB), 12);
    expect(metric(reportB, "business.weekly_active_users").value).toBe(activeBy(eventsB, "2031-03-03", "2031-03-09").get("*"));

    const platform = await readObservability({ kind: "platform" }, { now, breakers: {} });
    const all = [...inWindow(eventsA), ...recentB];
    expect(metric(platform, "llm.tokens").value).toBe(tokens(all));
    expect(metric(platform, "infrastructure.error_rate").value).toBeCloseTo(errorRate(all), 12);
    expect(metric(platform, "llm.p95_latency").value).toBe(p95(all));
    const wau = (activeBy(eventsA, "2031-03-03", "2031-03-09").get("*") ?? 0) + (activeBy(eventsB, "2031-03-03", "2031-03-09").get("*") ?? 0);
    expect(metric(platform, "business.weekly_active_users").value).toBe(wau);
  });
});

describe("states at the seed's thresholds", () => {
  const event = (tenantId: string, fields: Partial<NewUsageEvent>): NewUsageEvent => ({
    tenantId,
    requestId: randomUUID(),
    feature: "chat",
    role: "chat",
    provider: "openai",
    model: "gpt-4o-mini",
    inputTokens: 10,
    outputTokens: 10,
    costMicroUsd: 100,
    latencyMs: 500,
    cacheStatus: "miss",
    status: "ok",
    createdAt: at(now.toISOString(), -MINUTE),
    ...fields,
  });
  const read = async (tenantId: string) => readObservability({ kind: "tenant", tenantId }, { now, breakers: { openai: "open" } });

  it("error rate: ok, warn past 1.6%, alert past 2%; P95 over 10 s; validation failures past 5%", async () => {
    const t = await createTenant("Observability thresholds");
    expect(metric(await read(t.tenantId), "infrastructure.error_rate")).toMatchObject({ value: null, state: "ok" });
    await insertEvents(
      t.tenantId,
      Array.from({ length: 98 }, () => event(t.tenantId, { validation: "pass" })),
    );
    await insertEvents(t.tenantId, [event(t.tenantId, { status: "error" }), event(t.tenantId, { status: "error" })]);
    let report = await read(t.tenantId);
    expect(metric(report, "infrastructure.error_rate")).toMatchObject({ value: 0.02, state: "warn" }); // 2 in 100: at the line, not past it
    expect(metric(report, "infrastructure.error_rate").threshold).toEqual({ alert: 0.02, warn: 0.016, direction: "above" });
    expect(metric(report, "llm.p95_latency")).toMatchObject({ value: 1_000, state: "ok" });
    expect(metric(report, "llm.provider_availability.openai")).toMatchObject({ value: 0.98, state: "warn", breaker: "open" });

    await insertEvents(t.tenantId, [event(t.tenantId, { status: "error" })]);
    report = await read(t.tenantId);
    expect(metric(report, "infrastructure.error_rate")).toMatchObject({ state: "alert" });
    expect(metric(report, "infrastructure.error_rate").value).toBeCloseTo(3 / 101, 12);
    expect(metric(report, "llm.provider_availability.openai").state).toBe("alert");

    // P95: 5 slow calls of 101 keep the 96th fastest under 10 s; the sixth tips it.
    await insertEvents(
      t.tenantId,
      Array.from({ length: 5 }, () => event(t.tenantId, { latencyMs: 12_000 })),
    );
    expect(metric(await read(t.tenantId), "llm.p95_latency")).toMatchObject({ value: 1_000, state: "ok" });
    await insertEvents(
      t.tenantId,
      Array.from({ length: 2 }, () => event(t.tenantId, { latencyMs: 12_000 })),
    );
    expect(metric(await read(t.tenantId), "llm.p95_latency")).toMatchObject({ value: 20_000, state: "alert" });

    // Validation: 98 passed; 5 failures of 103 is 4.85% (warn), 6 of 104 is 5.8% (alert).
    await insertEvents(
      t.tenantId,
      Array.from({ length: 5 }, () => event(t.tenantId, { validation: "failed" })),
    );
    expect(metric(await read(t.tenantId), "quality.validation_failure_rate").state).toBe("warn");
    await insertEvents(t.tenantId, [event(t.tenantId, { validation: "failed" })]);
    expect(metric(await read(t.tenantId), "quality.validation_failure_rate").state).toBe("alert");

    // An hour later the window holds none of it.
    const later = await readObservability({ kind: "tenant", tenantId: t.tenantId }, { now: at(now.toISOString(), 61 * MINUTE), breakers: {} });
    expect(metric(later, "infrastructure.error_rate")).toMatchObject({ value: null, state: "ok" });
  });

  it("week-over-week drop past 10% alerts; cost spike past 2× the baseline alerts", async () => {
    const t = await createTenant("Observability weekly");
    const user = () => randomUUID();
    const lastWeek = Array.from({ length: 10 }, user);
    // 10 active users the week before, 9 this week (-10%: warn), then 8 (-20%: alert).
    const days = (day: string) => at(`${day}T10:00:00.000Z`);
    await insertEvents(t.tenantId, [
      ...lastWeek.map((userId) => event(t.tenantId, { userId, createdAt: days("2031-02-28"), costMicroUsd: 1_000 })),
      ...lastWeek.slice(0, 9).map((userId) => event(t.tenantId, { userId, createdAt: days("2031-03-05"), costMicroUsd: 1_000 })),
    ]);
    let report = await read(t.tenantId);
    expect(metric(report, "business.weekly_active_users_change")).toMatchObject({ state: "warn" });
    expect(metric(report, "business.weekly_active_users_change").value).toBeCloseTo(-0.1, 12);

    // Cost: each of the 7 days before today cost 1,000 µ$ (median 1,000); the last 24 hours 2,000 (2×: warn), then 2,001 (alert).
    const baseline = ["2031-03-03", "2031-03-04", "2031-03-06", "2031-03-07", "2031-03-08", "2031-03-09"].map((day) =>
      event(t.tenantId, { createdAt: at(`${day}T03:00:00.000Z`), costMicroUsd: 1_000 }),
    );
    await insertEvents(t.tenantId, [...baseline, event(t.tenantId, { costMicroUsd: 2_000 })]);
    report = await read(t.tenantId);
    expect(metric(report, "llm.cost_spike")).toMatchObject({ value: 2, state: "warn" });
    await insertEvents(t.tenantId, [event(t.tenantId, { costMicroUsd: 1 })]);
    expect(metric(await read(t.tenantId), "llm.cost_spike").state).toBe("alert");

    // A week later nobody has come back: every user of the week before is gone (-100%).
    const weekly = await readObservability({ kind: "tenant", tenantId: t.tenantId }, { now: at(now.toISOString(), 7 * 86_400_000), breakers: {} });
    expect(metric(weekly, "business.weekly_active_users").value).toBe(0);
    expect(metric(weekly, "business.weekly_active_users_change")).toMatchObject({ value: -1, state: "alert" });
  });
});

describe("jobs and answers", () => {
  it("queue depth, job duration, worker utilisation, task completion and correction rate", async () => {
    const t = await createTenant("Observability jobs");
    const ago = (ms: number) => at(now.toISOString(), -ms);
    await withTenant(t.tenantId, async (tx) => {
      await tx.insert(jobs).values([
        ...Array.from({ length: 3 }, () => ({ tenantId: t.tenantId, kind: "analysis", status: "queued" as const, createdAt: ago(5 * MINUTE) })),
        { tenantId: t.tenantId, kind: "analysis", status: "running", createdAt: ago(20 * MINUTE), startedAt: ago(10 * MINUTE) },
        {
          tenantId: t.tenantId,
          kind: "analysis",
          status: "succeeded",
          createdAt: ago(3 * 3_600_000),
          startedAt: ago(3 * 3_600_000),
          finishedAt: ago(3 * 3_600_000 - 1_000),
        },
        {
          tenantId: t.tenantId,
          kind: "analysis",
          status: "succeeded",
          createdAt: ago(2 * 3_600_000),
          startedAt: ago(2 * 3_600_000),
          finishedAt: ago(2 * 3_600_000 - 3_000),
        },
        {
          tenantId: t.tenantId,
          kind: "analysis",
          status: "failed",
          createdAt: ago(2 * 3_600_000),
          startedAt: ago(2 * 3_600_000),
          finishedAt: ago(2 * 3_600_000 - 500),
        },
      ]);
    });
    await withTenant(
      t.tenantId,
      async (tx) => {
        const [conversation] = await tx.insert(conversations).values({ tenantId: t.tenantId, userId: t.userId }).returning();
        const answer = (fields: Partial<typeof chatMessages.$inferInsert>) => ({
          tenantId: t.tenantId,
          conversationId: conversation!.id,
          userId: t.userId,
          role: "assistant" as const,
          content: "An answer.",
          createdAt: ago(30 * MINUTE),
          ...fields,
        });
        await tx
          .insert(chatMessages)
          .values([
            answer({ status: "complete" }),
            answer({ status: "complete", rating: 1 }),
            answer({ status: "complete", rating: -1 }),
            answer({ status: "complete", correction: "The right answer." }),
            answer({ status: "stopped" }),
            answer({ status: "failed" }),
            answer({ status: "streaming" }),
            { ...answer({ status: "complete", rating: -1 }), role: "user" as const },
            answer({ status: "complete", rating: -1, createdAt: ago(25 * 3_600_000) }),
          ]);
      },
      { userId: t.userId },
    );
    const report = await readObservability({ kind: "tenant", tenantId: t.tenantId }, { now, breakers: {}, workerSlots: 2 });
    expect(metric(report, "infrastructure.queue_depth")).toMatchObject({ value: 3, state: "ok" });
    expect(metric(report, "infrastructure.queue_depth").history.at(-1)!.value).toBe(3);
    expect(metric(report, "infrastructure.job_duration_p95").value).toBe(3_000);
    const windowMs = now.getTime() - Date.parse(windowFrom);
    expect(metric(report, "infrastructure.worker_utilisation").value).toBeCloseTo((10 * MINUTE) / (2 * windowMs), 9);
    // Answers: 4 complete and 1 stopped; 2 of them thumbed down or corrected.
    expect(metric(report, "quality.correction_rate").value).toBeCloseTo(2 / 5, 12);
    // Jobs: 2 of 3 ended succeeded; answers: 4 of 6 ended complete (the streaming one has not ended).
    expect(metric(report, "business.task_completion_rate").value).toBeCloseTo(6 / 9, 12);
    // The day before: one complete answer, thumbed down.
    const history = metric(report, "quality.correction_rate").history;
    expect(history.at(-2)).toEqual({ at: "2031-03-09T00:00:00.000Z", value: 1 });
    expect(history.at(-1)!.value).toBeCloseTo(2 / 5, 12);
    // Later changes move the counts: a streaming answer completes, a good one is thumbed down, a
    // corrected one is deleted with its conversation's other rows staying.
    await withTenant(
      t.tenantId,
      async (tx) => {
        await tx
          .update(chatMessages)
          .set({ status: "complete", content: "Done." })
          .where(and(eq(chatMessages.tenantId, t.tenantId), eq(chatMessages.status, "streaming")));
        await tx
          .update(chatMessages)
          .set({ rating: -1 })
          .where(and(eq(chatMessages.tenantId, t.tenantId), eq(chatMessages.rating, 1)));
        await tx.delete(chatMessages).where(and(eq(chatMessages.tenantId, t.tenantId), isNotNull(chatMessages.correction)));
      },
      { userId: t.userId },
    );
    const after = await readObservability({ kind: "tenant", tenantId: t.tenantId }, { now, breakers: {}, workerSlots: 2 });
    const rows = await withTenant(t.tenantId, (tx) => tx.select().from(chatMessages).where(eq(chatMessages.role, "assistant")), { userId: t.userId });
    const recentRows = rows.filter((m) => m.createdAt >= new Date(dayFrom));
    const answered = recentRows.filter((m) => m.status === "complete" || m.status === "stopped");
    expect(answered).toHaveLength(5);
    expect(metric(after, "quality.correction_rate").value).toBeCloseTo(answered.filter((m) => m.rating === -1 || m.correction !== null).length / 5, 12);
    expect(metric(after, "quality.correction_rate").value).toBeCloseTo(2 / 5, 12);
    expect(metric(after, "business.task_completion_rate").value).toBeCloseTo((2 + 4) / (3 + 6), 12);

    // Another tenant sees none of it.
    const other = await readObservability({ kind: "tenant", tenantId: a.tenantId }, { now, breakers: {} });
    expect(metric(other, "infrastructure.queue_depth").value).toBe(0);
    expect(metric(other, "quality.correction_rate").value).toBeNull();
  });

  it("weekly actives count an actor once, whatever the order and concurrency of their calls", async () => {
    const t = await createTenant("Observability concurrency");
    const actor = randomUUID();
    const other = randomUUID();
    const days = ["2031-03-01", "2031-03-09", "2031-02-27", "2031-03-04", "2031-03-02", "2031-03-08", "2031-02-24", "2031-03-03"];
    const make = (userId: string, day: string, feature: string): NewUsageEvent => ({
      tenantId: t.tenantId,
      requestId: randomUUID(),
      userId,
      feature,
      role: "chat",
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: 1,
      outputTokens: 1,
      costMicroUsd: 1,
      latencyMs: 1,
      cacheStatus: "miss",
      status: "ok",
      createdAt: at(`${day}T08:00:00.000Z`),
    });
    // Each day in its own transaction, all at once, out of order.
    await Promise.all(
      days.flatMap((day) => [
        insertEvents(t.tenantId, [make(actor, day, "chat")]),
        insertEvents(t.tenantId, [make(other, day, day < "2031-03-04" ? "chat" : "api")]),
      ]),
    );
    // And two overlapping transactions for one actor, two days apart: the second would miss the
    // first's uncommitted day and count the actor twice in "any feature", but for the per-actor
    // lock, which holds it until the first commits (the first waits up to half a second for the
    // second to finish).
    const third = randomUUID();
    let inserted!: () => void;
    const firstInserted = new Promise<void>((resolve) => (inserted = resolve));
    let secondDone = false;
    const first = withTenant(t.tenantId, async (tx) => {
      await tx.insert(usageEvents).values(make(third, "2031-03-05", "chat"));
      inserted();
      for (let waited = 0; !secondDone && waited < 500; waited += 25) await new Promise((resolve) => setTimeout(resolve, 25));
    });
    await firstInserted;
    // Another feature, so no rollup row of migration 0013 is shared between the two (its row lock would serialise them anyway).
    const second = insertEvents(t.tenantId, [make(third, "2031-03-07", "api")]).then(() => (secondDone = true));
    await Promise.all([first, second]);
    const events = await readEvents(t.tenantId);
    const report = await readObservability({ kind: "tenant", tenantId: t.tenantId }, { now, breakers: {} });
    for (const [key, feature] of [
      ["business.weekly_active_users", "*"],
      ["business.weekly_active_users.chat", "chat"],
      ["business.weekly_active_users.api", "api"],
    ] as const) {
      for (const point of metric(report, key).history) {
        const end = point.at.slice(0, 10);
        expect(point.value, `${key} at ${end}`).toBe(activeBy(events, addDays(end, -6), end).get(feature) ?? 0);
      }
    }
  });

  it("a circuit breaker's snapshot says closed, open, half-open and paused", () => {
    let clock = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1_000 }, () => clock);
    breaker.success("openai");
    breaker.failure("google");
    breaker.failure("google");
    breaker.rateLimited("compatible", 500);
    expect(breaker.snapshot()).toEqual({ openai: "closed", google: "open", compatible: "paused" });
    clock = 1_000;
    expect(breaker.snapshot()).toEqual({ openai: "closed", google: "half_open", compatible: "closed" });
  });
});
