// The rollups equal the usage events they count, to the micro-dollar, whoever writes the events:
// the meter (keel_record_usage), a plain batch insert under the tenant's scope, and the expiry
// sweep (one statement across tenants, on the system path). Checked against an aggregation done
// here in TypeScript from the events themselves, column by column.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { usageActorRollups, usageMemberDays, usageRollups, type UsageEvent } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { settleExpiredReservations } from "@/lib/ai/quota";
import { createApiKey } from "@/lib/auth/api-keys";
import { addMember, createTenant } from "@/test/fixtures";
import { newGateway, startFakeProvidersForFile, testConfig, userPrompt } from "@/test/gateway-harness";
import { dayOf, insertEvents, latencyBucket, makeEvents, ownPeriodOf, readEvents, type Totals } from "@/test/usage-events";

const servers = startFakeProvidersForFile();

type Owner = Awaited<ReturnType<typeof createTenant>>;
let a: Owner;
let b: Owner;
let memberOfA: Awaited<ReturnType<typeof addMember>>;
let keyOfA: string;

beforeAll(async () => {
  a = await createTenant("Rollups A");
  b = await createTenant("Rollups B");
  memberOfA = await addMember(a, "member");
  keyOfA = (await createApiKey(a, "integration")).summary.id;
});

const modelCounters = [
  "requests",
  "errors",
  "partials",
  "inputTokens",
  "outputTokens",
  "costMicroUsd",
  "savedMicroUsd",
  "cacheExact",
  "cacheSemantic",
  "fallbackCalls",
  "fallbacks",
  "attempts",
  "latencyMsSum",
  "latencyMsMax",
  "ttftMsSum",
  "ttftCount",
  "validationPass",
  "validationRepaired",
  "validationFailed",
] as const;
type ModelRollup = Record<(typeof modelCounters)[number], number> & { latencyBuckets: number[] };

function expectedModelRollups(events: UsageEvent[]) {
  const rows = new Map<string, ModelRollup>();
  for (const e of events) {
    const key = [ownPeriodOf(e), dayOf(e), e.provider, e.model, e.feature].join("|");
    const r = rows.get(key) ?? {
      ...(Object.fromEntries(modelCounters.map((c) => [c, 0])) as Record<(typeof modelCounters)[number], number>),
      latencyBuckets: Array<number>(11).fill(0),
    };
    r.requests++;
    r.errors += e.status === "error" ? 1 : 0;
    r.partials += e.status === "partial" ? 1 : 0;
    r.inputTokens += e.inputTokens;
    r.outputTokens += e.outputTokens;
    r.costMicroUsd += e.costMicroUsd;
    r.savedMicroUsd += e.savedMicroUsd;
    r.cacheExact += e.cacheStatus === "exact" ? 1 : 0;
    r.cacheSemantic += e.cacheStatus === "semantic" ? 1 : 0;
    r.fallbackCalls += e.fallbackCount > 0 ? 1 : 0;
    r.fallbacks += e.fallbackCount;
    r.attempts += e.attempts;
    r.latencyMsSum += e.latencyMs;
    r.latencyMsMax = Math.max(r.latencyMsMax, e.latencyMs);
    r.latencyBuckets[latencyBucket(e.latencyMs)]! += 1;
    r.ttftMsSum += e.timeToFirstTokenMs ?? 0;
    r.ttftCount += e.timeToFirstTokenMs === null ? 0 : 1;
    r.validationPass += e.validation === "pass" ? 1 : 0;
    r.validationRepaired += e.validation === "repaired" ? 1 : 0;
    r.validationFailed += e.validation === "failed" ? 1 : 0;
    rows.set(key, r);
  }
  return rows;
}

function expectedActorRollups(events: UsageEvent[], keyOf: (e: UsageEvent) => string) {
  const rows = new Map<string, Totals>();
  for (const e of events) {
    const key = keyOf(e);
    const r = rows.get(key) ?? { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costMicroUsd: 0, savedMicroUsd: 0, cacheHits: 0 };
    r.requests++;
    r.errors += e.status === "error" ? 1 : 0;
    r.inputTokens += e.inputTokens;
    r.outputTokens += e.outputTokens;
    r.costMicroUsd += e.costMicroUsd;
    r.savedMicroUsd += e.savedMicroUsd;
    r.cacheHits += e.cacheStatus === "exact" || e.cacheStatus === "semantic" ? 1 : 0;
    rows.set(key, r);
  }
  return rows;
}

async function actualRollups(tenantId: string) {
  return withTenant(tenantId, async (tx) => {
    const models = await tx.select().from(usageRollups);
    const actors = await tx.select().from(usageActorRollups);
    const memberDays = await tx.select().from(usageMemberDays);
    return {
      models: new Map(
        models.map(({ tenantId: _t, periodStart, day, provider, model, feature, ...r }) => [[periodStart, day, provider, model, feature].join("|"), r]),
      ),
      actors: new Map(actors.map(({ tenantId: _t, periodStart, userId, apiKeyId, feature, ...r }) => [[periodStart, userId, apiKeyId, feature].join("|"), r])),
      memberDays: new Map(memberDays.map(({ tenantId: _t, periodStart, userId, day, ...r }) => [[periodStart, userId, day].join("|"), r])),
      tenants: new Set([...models, ...actors, ...memberDays].map((r) => r.tenantId)),
    };
  });
}

async function expectReconciled(tenantId: string) {
  const events = await readEvents(tenantId);
  const actual = await actualRollups(tenantId);
  expect(actual.tenants).toEqual(new Set(events.length > 0 ? [tenantId] : []));
  expect(actual.models).toEqual(expectedModelRollups(events));
  expect(actual.actors).toEqual(expectedActorRollups(events, (e) => [ownPeriodOf(e), e.userId, e.apiKeyId, e.feature].join("|")));
  expect(actual.memberDays).toEqual(
    expectedActorRollups(
      events.filter((e) => e.userId !== null),
      (e) => [ownPeriodOf(e), e.userId, dayOf(e)].join("|"),
    ),
  );
  return events;
}

describe("usage rollups", () => {
  it("equal the events written by batch inserts, spread over months, days and every field", async () => {
    const actors = { userIds: [a.userId, memberOfA.userId, null], apiKeyIds: [keyOfA, null, null] };
    await insertEvents(a.tenantId, makeEvents(a.tenantId, 1_200, "2025-01-20T00:00:00Z", "2025-04-03T00:00:00Z", actors, 11), 300);
    // Single-row statements too, and one repeated request id that must count once.
    const singles = makeEvents(a.tenantId, 20, "2025-03-31T23:59:00Z", "2025-04-01T00:01:00Z", actors, 12);
    for (const event of singles) await insertEvents(a.tenantId, [event]);
    await withTenant(a.tenantId, (tx) =>
      tx.execute(sql`insert into usage_events (tenant_id, request_id, feature, role, provider, model, input_tokens,
      output_tokens, cost_micro_usd, latency_ms, cache_status, status) values (${a.tenantId}, ${singles[0]!.requestId}, 'chat', 'chat', 'openai', 'x', 1, 1, 1, 1, 'miss', 'ok')
      on conflict (tenant_id, request_id) do nothing`),
    );
    await insertEvents(b.tenantId, makeEvents(b.tenantId, 200, "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z", { userIds: [b.userId], apiKeyIds: [null] }, 13));

    const events = await expectReconciled(a.tenantId);
    expect(events).toHaveLength(1_220);
    await expectReconciled(b.tenantId);
  });

  it("equal the events the meter writes through keel_record_usage", async () => {
    const tenant = await createTenant("Rollups meter");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    servers.openai.setDefault({ kind: "text", text: "metered", usage: { input: 41, output: 17 } });
    const ctx = { tenantId: tenant.tenantId, userId: tenant.userId, feature: "chat" };
    await Promise.all(Array.from({ length: 30 }, (_, i) => gateway.generate({ ...ctx, apiKeyId: null }, { role: "chat", prompt: userPrompt(`q ${i % 20}`) })));
    await gateway.flush();
    await gateway.generate(ctx, { role: "chat", prompt: userPrompt("q 3") }); // an exact cache hit
    await gateway.embed({ ...ctx, feature: "embedding" }, ["one", "two words"]);
    await gateway.flush();
    const events = await expectReconciled(tenant.tenantId);
    expect(events.length).toBeGreaterThanOrEqual(32);
    expect(events.some((e) => e.cacheStatus === "exact")).toBe(true);
  });

  it("equal the events the expiry sweep bills across tenants in one statement on the system path", async () => {
    const first = await createTenant("Sweep one");
    const second = await createTenant("Sweep two");
    const period = `${new Date().toISOString().slice(0, 7)}-01`;
    await withSystem("test: expired reservations", async (tx) => {
      for (const [tenant, tokens] of [
        [first, 700],
        [second, 300],
        [first, 55],
      ] as const) {
        await tx.execute(sql`insert into quota_periods (tenant_id, period_start, reserved_tokens, reserved_micro_usd)
                             values (${tenant.tenantId}, ${period}, ${tokens}, ${tokens * 3}) on conflict (tenant_id, period_start)
                             do update set reserved_tokens = quota_periods.reserved_tokens + excluded.reserved_tokens,
                                           reserved_micro_usd = quota_periods.reserved_micro_usd + excluded.reserved_micro_usd`);
        await tx.execute(sql`insert into quota_reservations (id, tenant_id, period_start, user_id, tokens, micro_usd, expires_at, request_id, feature, role, provider, model)
                             values (${randomUUID()}, ${tenant.tenantId}, ${period}, ${tenant.userId}, ${tokens}, ${tokens * 3}, now() - interval '1 minute',
                                     ${randomUUID()}, 'analysis', 'analysis', 'openai', 'gpt-4o-mini')`);
      }
    });
    expect(await settleExpiredReservations()).toBeGreaterThanOrEqual(3);
    expect(await expectReconciled(first.tenantId)).toHaveLength(2);
    expect(await expectReconciled(second.tenantId)).toHaveLength(1);
  });

  it("shows one tenant none of another's rollups", async () => {
    const rows = await withTenant(b.tenantId, (tx) => tx.select({ tenantId: usageRollups.tenantId }).from(usageRollups));
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.tenantId))).toEqual(new Set([b.tenantId]));
    // An UPDATE aimed at another tenant's rollups changes nothing (row-level security).
    await expect(
      withTenant(b.tenantId, (tx) => tx.execute(sql`update usage_rollups set requests = requests + 1 where tenant_id = ${a.tenantId}`)),
    ).resolves.toBeDefined();
    await expectReconciled(a.tenantId);
  });
});
