// Quotas under contention: atomic reservations, no spend after exhaustion, refusals that cost
// nothing, the once-per-period soft warning, per-member caps and downgrade at the soft limit.
import { spawn } from "node:child_process";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { memberQuotaPeriods, tenantNotices, tenants } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { rawRows } from "@/db/raw-rows";
import { addMember, createTenant } from "@/test/fixtures";
import { eventsOf, generationRequests, newGateway, quotaRow, setLimits, testConfig, startFakeProvidersForFile, userPrompt } from "@/test/gateway-harness";
import type { SoftLimitWarning } from "./meter";
import { countTokens } from "./tokens";
import { randomUUID } from "node:crypto";
import { admit, settleExpiredReservations } from "./quota";
import { Meter, type CallRecord } from "./meter";
import { testDatabaseUrl } from "@/test/database-url";

const servers = startFakeProvidersForFile();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MAX_OUTPUT = 100;
const estimateFor = (question: string) => countTokens(question) + MAX_OUTPUT;
/** The call a reservation is made for (a crashed process's call in the sweep tests). */
const crashedCall = (requestId = randomUUID()) => ({
  requestId,
  feature: "api",
  role: "chat" as const,
  provider: "openai" as const,
  model: "gpt-4.1-mini",
  apiKeyId: null,
});

/** The meter's record of a call that was answered: 10 input and 20 output tokens unless said otherwise. */
function answeredCall(fields: Pick<CallRecord, "tenantId" | "requestId" | "reservation"> & Partial<CallRecord>): CallRecord {
  return {
    userId: null,
    apiKeyId: null,
    feature: "api",
    role: "chat",
    provider: "openai",
    model: "gpt-4.1-mini",
    inputTokens: 10,
    outputTokens: 20,
    costMicroUsd: 0,
    savedMicroUsd: 0,
    latencyMs: 5,
    timeToFirstTokenMs: null,
    cacheStatus: "miss",
    fallbackCount: 0,
    attempts: 1,
    status: "ok",
    errorCode: null,
    validation: null,
    contextChunkIds: null,
    cacheWrites: null,
    ...fields,
  };
}

/**
 * Actual spend per call: 1 input + 90 output tokens, always within the reservation. In the races
 * the provider answers slowly, so every request is admitted or refused before the first one
 * settles: a settled call gives back the unused part of its estimate, which later requests could
 * legitimately use, and the exact counts below would then depend on timing.
 */
function fixedAnswer(delayMs = 0) {
  servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 1, output: 90 }, delayMs });
}

describe("quota reservations", () => {
  it("admits exactly what fits when 50 requests arrive at once, and refused ones cost nothing", async () => {
    const tenant = await createTenant("Race");
    const estimate = estimateFor("race");
    const limit = estimate * 5 + Math.floor(estimate / 2);
    await setLimits(tenant, { monthlyTokenLimit: limit });
    fixedAnswer(300);
    // Timeouts well above the answer's delay: on a loaded machine a timed-out attempt would be
    // retried, and the provider would see one request more than was admitted.
    const gateway = newGateway(testConfig(servers.openai, servers.gemini, { timeouts: { firstTokenMs: 10_000, idleMs: 10_000, totalMs: 20_000 } }));
    const ctx = { tenantId: tenant.tenantId, feature: "api", cache: { noCache: true, noStore: true } };
    const request = { role: "chat" as const, prompt: userPrompt("race"), maxOutputTokens: MAX_OUTPUT };

    const results = await Promise.allSettled(Array.from({ length: 50 }, () => gateway.generate(ctx, request)));
    await gateway.flush();
    const admitted = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(admitted).toHaveLength(5);
    expect(refused).toHaveLength(45);
    for (const r of refused) {
      expect(r.status === "rejected" && r.reason).toMatchObject({
        code: "quota_exceeded",
        status: 402,
        quota: { limit: "tokens", resetsAt: expect.stringMatching(/T00:00:00/) },
      });
    }
    expect(generationRequests(servers.openai)).toHaveLength(5);
    expect(await eventsOf(tenant.tenantId)).toHaveLength(5);
    const quota = await quotaRow(tenant.tenantId);
    expect(quota).toMatchObject({ usedTokens: 5 * 91, reservedTokens: 0, reservedMicroUsd: 0 });
    expect(quota!.usedTokens).toBeLessThanOrEqual(limit + estimate);

    // Settled spend (5 × 91) leaves less than one estimate: nothing is admitted after exhaustion.
    await expect(gateway.generate(ctx, request)).rejects.toMatchObject({ code: "quota_exceeded" });
    expect(generationRequests(servers.openai)).toHaveLength(5);
  });

  // Two processes need a shared server: PGlite is in-process only, so this runs on PostgreSQL
  // (CI sets TEST_DATABASE_URL); the single-process race above runs on both engines.
  it.runIf(testDatabaseUrl())(
    "holds across two app processes on one database",
    async () => {
      const tenant = await createTenant("Two processes");
      const estimate = estimateFor("race");
      const limit = estimate * 7 + Math.floor(estimate / 2);
      await setLimits(tenant, { monthlyTokenLimit: limit });
      fixedAnswer(1_500);
      const startAt = Date.now() + 4_000;
      const runWorker = () =>
        new Promise<{ admitted: number; refused: number; other: number }>((resolve, reject) => {
          const child = spawn(process.execPath, ["--import", "tsx", "test/quota-worker.ts"], {
            env: {
              ...process.env,
              DATABASE_URL: process.env.DATABASE_URL,
              FAKE_OPENAI_URL: servers.openai.url,
              TENANT_ID: tenant.tenantId,
              REQUESTS: "25",
              START_AT: String(startAt),
              MAX_OUTPUT: String(MAX_OUTPUT),
            },
            stdio: ["ignore", "pipe", "inherit"],
          });
          let out = "";
          child.stdout.on("data", (d: Buffer) => (out += d.toString()));
          child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1)!)) : reject(new Error(`worker exited ${code}: ${out}`))));
        });
      const [one, two] = await Promise.all([runWorker(), runWorker()]);
      expect(one.other + two.other).toBe(0);
      expect(one.admitted + two.admitted).toBe(7);
      expect(one.refused + two.refused).toBe(43);
      expect(generationRequests(servers.openai)).toHaveLength(7);
      const quota = await quotaRow(tenant.tenantId);
      expect(quota).toMatchObject({ usedTokens: 7 * 91, reservedTokens: 0 });
      expect(await eventsOf(tenant.tenantId)).toHaveLength(7);
    },
    60_000,
  );

  it("releases the reservation when every provider fails", async () => {
    const tenant = await createTenant("Release");
    await setLimits(tenant, { monthlyTokenLimit: 10_000 });
    servers.openai.setDefault({ kind: "status", status: 500 });
    servers.gemini.setDefault({ kind: "status", status: 500 });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    await expect(gateway.generate({ tenantId: tenant.tenantId, feature: "api" }, { role: "chat", prompt: userPrompt("x") })).rejects.toMatchObject({
      code: "providers_unavailable",
    });
    await gateway.flush();
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ usedTokens: 0, reservedTokens: 0, reservedMicroUsd: 0 });
  });

  it("refuses on the USD limit with the limit named", async () => {
    const tenant = await createTenant("Dollars");
    await setLimits(tenant, { monthlyUsdLimit: 0.0001 }); // 100 micro-USD; gpt-4.1-mini output is 1.6 micro-USD per token
    fixedAnswer();
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    await expect(
      gateway.generate({ tenantId: tenant.tenantId, feature: "api" }, { role: "chat", prompt: userPrompt("x"), maxOutputTokens: 500 }),
    ).rejects.toMatchObject({
      code: "quota_exceeded",
      quota: { limit: "usd" },
      message: expect.stringMatching(/spending limit.*resets on/),
    });
  });

  it("caps a single member without stopping the others", async () => {
    const owner = await createTenant("Member cap");
    const member = await addMember(owner, "member");
    const estimate = estimateFor("hi");
    await setLimits(owner, { monthlyTokenLimit: 100_000, memberMonthlyTokenCap: estimate + 10 });
    fixedAnswer();
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const ask = (userId: string) =>
      gateway.generate(
        { tenantId: owner.tenantId, userId, feature: "chat", cache: { noCache: true, noStore: true } },
        { role: "chat", prompt: userPrompt("hi"), maxOutputTokens: MAX_OUTPUT },
      );
    await ask(member.userId);
    await gateway.flush();
    await expect(ask(member.userId)).rejects.toMatchObject({ code: "quota_exceeded", quota: { limit: "member_tokens" } });
    await expect(ask(owner.userId)).resolves.toMatchObject({ text: "ok" });
    await gateway.flush();
    // The refused member call left nothing reserved at tenant level either.
    expect(await quotaRow(owner.tenantId)).toMatchObject({ usedTokens: 2 * 91, reservedTokens: 0 });
  });
});

describe("the soft limit", () => {
  it("warns once per period, stored in-app and sent to the webhook hook, even under concurrency", async () => {
    const tenant = await createTenant("Soft");
    await setLimits(tenant, { monthlyTokenLimit: 1_000, softLimitPercent: 50, warningWebhookUrl: "https://hooks.example.test/keel" });
    fixedAnswer();
    const warnings: { warning: SoftLimitWarning; url: string | null }[] = [];
    const gateway = newGateway(testConfig(servers.openai, servers.gemini), { onSoftLimit: (warning, url) => warnings.push({ warning, url }) });
    const ctx = { tenantId: tenant.tenantId, feature: "api", cache: { noCache: true, noStore: true } };
    await Promise.allSettled(Array.from({ length: 8 }, () => gateway.generate(ctx, { role: "chat", prompt: userPrompt("x"), maxOutputTokens: MAX_OUTPUT })));
    await gateway.flush();
    await Promise.allSettled(Array.from({ length: 3 }, () => gateway.generate(ctx, { role: "chat", prompt: userPrompt("x"), maxOutputTokens: MAX_OUTPUT })));
    await gateway.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ warning: { limit: "tokens", message: expect.stringMatching(/50%/) }, url: "https://hooks.example.test/keel" });
    const notices = await withTenant(tenant.tenantId, (tx) => tx.select().from(tenantNotices));
    expect(notices).toHaveLength(1);
  });

  it("downgrades the tier at the soft limit when the tenant asked for it", async () => {
    const tenant = await createTenant("Downgrade");
    await withSystem("test: upgrade plan", (tx) => tx.update(tenants).set({ plan: "pro" }).where(eq(tenants.id, tenant.tenantId)));
    await setLimits(tenant, { monthlyTokenLimit: 1_000, softLimitPercent: 5, downgradeAtSoftLimit: true });
    fixedAnswer();
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    expect((await gateway.chainFor(tenant.tenantId, "chat"))[0]).toEqual({ provider: "openai", model: "gpt-4.1" });
    await gateway.generate({ tenantId: tenant.tenantId, feature: "api" }, { role: "chat", prompt: userPrompt("x"), maxOutputTokens: MAX_OUTPUT });
    await gateway.flush();
    expect((await gateway.chainFor(tenant.tenantId, "chat"))[0]).toEqual({ provider: "openai", model: "gpt-4.1-mini" });
    const models = generationRequests(servers.openai).map((r) => (r.body as { model: string }).model);
    expect(models).toEqual(["gpt-4.1"]);
  });
});

describe("reservations left behind by a crashed process", () => {
  it("are billed at their estimate by the sweep once they expire, and only then; a late record adds nothing", async () => {
    const tenant = await createTenant("Crashed");
    await setLimits(tenant, { monthlyTokenLimit: 1_000 });
    const profile = await newGateway(testConfig(servers.openai, servers.gemini)).profile(tenant.tenantId);
    const now = new Date();
    // A reservation made by a process that then died after sending the call: never settled.
    const call = crashedCall();
    const admitted = await admit({ profile, userId: null, exactKey: null, semantic: null, tokens: 900, microUsd: 1_234, now, ttlMs: 60_000, call });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    fixedAnswer();
    await expect(
      gateway.generate({ tenantId: tenant.tenantId, feature: "api" }, { role: "chat", prompt: userPrompt("x"), maxOutputTokens: MAX_OUTPUT }),
    ).rejects.toMatchObject({ code: "quota_exceeded" });
    expect(await settleExpiredReservations(now)).toBe(0);
    expect(await settleExpiredReservations(new Date(now.getTime() + 61_000))).toBeGreaterThanOrEqual(1);
    // The call reached a provider: it is charged its estimate, under its own request id.
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ reservedTokens: 0, usedTokens: 900, usedMicroUsd: 1_234 });
    const [event] = (await eventsOf(tenant.tenantId)).filter((e) => e.requestId === call.requestId);
    expect(event).toMatchObject({ status: "error", errorCode: "unrecorded", inputTokens: 900, costMicroUsd: 1_234, provider: "openai", feature: "api" });
    // Its real record, replayed late (say from a spill file), is a duplicate: nothing more is billed.
    if (admitted.kind !== "admitted") throw new Error("expected a reservation");
    gateway.meter.record(
      answeredCall({ tenantId: tenant.tenantId, requestId: call.requestId, costMicroUsd: 99, timeToFirstTokenMs: 5, reservation: admitted.reservation }),
    );
    await gateway.flush();
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ reservedTokens: 0, usedTokens: 900, usedMicroUsd: 1_234 });
    expect((await eventsOf(tenant.tenantId)).filter((e) => e.requestId === call.requestId)).toHaveLength(1);
  });

  it("move what they held on a member's cap into the member's spend as well", async () => {
    const owner = await createTenant("Crashed member");
    const member = await addMember(owner, "member");
    await setLimits(owner, { monthlyTokenLimit: 100_000, memberMonthlyTokenCap: 1_000 });
    const profile = await newGateway(testConfig(servers.openai, servers.gemini)).profile(owner.tenantId);
    const now = new Date();
    const admitted = await admit({
      profile,
      userId: member.userId,
      exactKey: null,
      semantic: null,
      tokens: 900,
      microUsd: 0,
      now,
      ttlMs: 60_000,
      call: crashedCall(),
    });
    expect(admitted).toMatchObject({ kind: "admitted", reservation: { memberCharged: true } });
    const memberReserved = async () =>
      Number(
        (await withSystem("test: read member quota", (tx) => tx.select().from(memberQuotaPeriods).where(eq(memberQuotaPeriods.userId, member.userId))))[0]
          ?.reservedTokens ?? -1,
      );
    expect(await memberReserved()).toBe(900);
    expect(await settleExpiredReservations(new Date(now.getTime() + 61_000))).toBeGreaterThanOrEqual(1);
    expect(await memberReserved()).toBe(0);
    const memberUsed = (
      await withSystem("test: read member quota", (tx) => tx.select().from(memberQuotaPeriods).where(eq(memberQuotaPeriods.userId, member.userId)))
    )[0]?.usedTokens;
    expect(Number(memberUsed)).toBe(900);
    expect(await quotaRow(owner.tenantId)).toMatchObject({ reservedTokens: 0 });
  });

  // Two connections at once: PostgreSQL only (PGlite runs one statement at a time).
  it.runIf(testDatabaseUrl())("never deadlock with a settlement that holds the same tenant's rows", async () => {
    const owner = await createTenant("Sweep against settlement");
    const member = await addMember(owner, "member");
    await setLimits(owner, { monthlyTokenLimit: 100_000, memberMonthlyTokenCap: 1_000 });
    const profile = await newGateway(testConfig(servers.openai, servers.gemini)).profile(owner.tenantId);
    const now = new Date();
    const admitted = await admit({
      profile,
      userId: member.userId,
      exactKey: null,
      semantic: null,
      tokens: 500,
      microUsd: 0,
      now,
      ttlMs: 60_000,
      call: crashedCall(),
    });
    const reservationId = admitted.kind === "admitted" ? (admitted.reservation?.id ?? "") : "";
    // A settlement in keel_record_usage's lock order (the reservation, then the quota period and
    // the member row), with a pause after its first lock during which the sweep starts.
    const settlement = withTenant(owner.tenantId, async (tx) => {
      await tx.execute(sql`select 1 from quota_reservations where id = ${reservationId} for update`);
      await tx.execute(sql`select pg_sleep(0.3)`);
      await tx.execute(sql`delete from quota_reservations where id = ${reservationId}`);
      await tx.execute(sql`update quota_periods set reserved_tokens = reserved_tokens - 500 where tenant_id = ${owner.tenantId}`);
      await tx.execute(
        sql`update member_quota_periods set reserved_tokens = reserved_tokens - 500 where tenant_id = ${owner.tenantId} and user_id = ${member.userId}`,
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sweep = settleExpiredReservations(new Date(now.getTime() + 61_000));
    // Locking in another order, one of the two would fail with "deadlock detected".
    await expect(Promise.all([settlement, sweep])).resolves.toBeDefined();
    expect(await quotaRow(owner.tenantId)).toMatchObject({ reservedTokens: 0 });
  });

  it.runIf(testDatabaseUrl())("admits the tenant's next call while a metering batch of its own waits on its events", async () => {
    const tenant = await createTenant("Admission beside metering");
    const profile = await newGateway(testConfig(servers.openai, servers.gemini)).profile(tenant.tenantId);
    const admitOne = () =>
      admit({ profile, userId: null, exactKey: null, semantic: null, tokens: 100, microUsd: 0, now: new Date(), ttlMs: 60_000, call: crashedCall() });
    const first = await admitOne();
    const reservation = first.kind === "admitted" ? first.reservation : null;
    expect(reservation).not.toBeNull();
    // Billing's close holds the tenant's rollup lock exclusively: the batch below, whose rollup
    // trigger takes it shared, waits at its events until this transaction ends.
    let releaseClose!: () => void;
    const closing = new Promise<void>((resolve) => (releaseClose = resolve));
    let lockTaken!: () => void;
    const locked = new Promise<void>((resolve) => (lockTaken = resolve));
    const close = withSystem("test: a billing close in progress", async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(7204113, keel_billing_lock_key(${tenant.tenantId}::uuid))`);
      lockTaken();
      await closing;
    });
    await locked;
    const meter = new Meter({ lingerMs: 0 });
    meter.record(answeredCall({ tenantId: tenant.tenantId, requestId: randomUUID(), reservation }));
    // Until the batch's rollup trigger is waiting for the close's lock.
    await expect
      .poll(async () => {
        const [row] = await withSystem("test: who waits for the billing lock", (tx) =>
          rawRows<{ n: number }>(tx, sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = 7204113 and not granted`),
        );
        return Number(row?.n ?? 0);
      })
      .toBe(1);
    // The batch is stuck at its events; the quota row it will settle is not locked yet, so the
    // tenant's next admission goes through (it used to wait for the whole batch).
    const next = await Promise.race([admitOne(), sleep(5_000).then(() => "waited for the metering batch" as const)]);
    expect(next).toMatchObject({ kind: "admitted" });
    releaseClose();
    await close;
    await meter.flush();
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ usedTokens: 30, reservedTokens: 100 });
  });
});
