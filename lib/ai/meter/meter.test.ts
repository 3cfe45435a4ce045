// Metering never drops a call: not for a bad character in one answer, not for a bad record in a
// batch, not through a database outage, not across a restart.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiExactCache } from "@/db/schema";
import type { Database } from "@/db/types";
import { withTenant } from "@/db/scope";
import { createTenant } from "@/test/fixtures";
import { databaseBehindProxy } from "@/test/database-behind-proxy";
import type { TcpProxy } from "@/test/fakes/tcp-proxy";
import { eventsOf, newGateway, quotaRow, userPrompt } from "@/test/gateway-harness";
import { baseGatewayConfig } from "../config";
import { Meter } from "./index";
import type { CallRecord } from "./records";
import { testDatabaseUrl } from "@/test/database-url";

// Offline models, and the exact cache only (a semantic lookup would add an embedding call per call).
const offline = { ...baseGatewayConfig, providers: [], profileTtlMs: 0, cache: { ...baseGatewayConfig.cache, semanticThresholds: {} } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectReconciled(tenantId: string, requestIds: string[]) {
  const events = await eventsOf(tenantId);
  expect(events.map((e) => e.requestId).sort()).toEqual([...requestIds].sort());
  // These calls are the offline model's: metered, but they spend no allowance, so nothing was
  // reserved and nothing is counted (migration 0034); paid settlement is tested in quota.test.ts.
  const quota = await quotaRow(tenantId);
  expect({ used: quota?.usedTokens ?? 0, reserved: quota?.reservedTokens ?? 0 }).toEqual({ used: 0, reserved: 0 });
  return events;
}

describe("one bad record", () => {
  it("charges a call whose answer holds a NUL, and the clean call in the same batch too", async () => {
    const tenant = await createTenant("NUL");
    // The offline model echoes the prompt, so its answer carries the NUL; both calls share a batch.
    const gateway = newGateway(offline, { meter: { lingerMs: 100 } });
    const ctx = { tenantId: tenant.tenantId, feature: "chat" };
    const results = await Promise.all([
      gateway.generate(ctx, { role: "chat", prompt: userPrompt("hi\u0000") }),
      gateway.generate(ctx, { role: "chat", prompt: userPrompt("a clean question about Keel") }),
      gateway.generate(ctx, { role: "chat", prompt: userPrompt("a lone surrogate \ud800 here") }),
    ]);
    await gateway.flush();
    const events = await expectReconciled(
      tenant.tenantId,
      results.map((r) => r.requestId),
    );
    expect(events.every((e) => e.status === "ok" && e.inputTokens > 0)).toBe(true);
    // The cached copies were made storable, not dropped.
    const cached = await withTenant(tenant.tenantId, (tx) => tx.select().from(aiExactCache).where(eq(aiExactCache.tenantId, tenant.tenantId)));
    expect(cached).toHaveLength(3);
    expect(cached.every((c) => !c.completion.text.includes("\u0000") && c.completion.text.isWellFormed())).toBe(true);
  });

  it("splits a refused batch so the bad record is written alone, charged but not cached", async () => {
    const tenant = await createTenant("Split");
    const meter = new Meter({ lingerMs: 50 });
    const record = (requestId: string, embedding: number[]): CallRecord => ({
      tenantId: tenant.tenantId,
      requestId,
      userId: null,
      apiKeyId: null,
      feature: "chat",
      role: "chat",
      provider: "offline",
      model: "keel-offline-extractive",
      inputTokens: 10,
      outputTokens: 5,
      costMicroUsd: 0,
      savedMicroUsd: 0,
      latencyMs: 1,
      timeToFirstTokenMs: 1,
      cacheStatus: "miss",
      fallbackCount: 0,
      attempts: 1,
      status: "ok",
      errorCode: null,
      validation: null,
      reservation: null,
      contextChunkIds: null,
      cacheWrites: {
        exact: { key: `key-${requestId}`, ttlSeconds: 60 },
        semantic: { scopeKey: "scope", embedding, ttlSeconds: 60 },
        completion: { text: "answer", finishReason: "stop", inputTokens: 10, outputTokens: 5, provider: "offline", model: "m" },
      },
    });
    const good = Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0));
    // A vector of the wrong dimension: the database refuses the whole batch it is in.
    const ids = ["r1", "r2", "bad", "r4", "r5"];
    for (const id of ids) meter.record(record(id, id === "bad" ? [1, 0, 0] : good));
    await meter.flush();
    const events = await eventsOf(tenant.tenantId);
    expect(events.map((e) => e.requestId).sort()).toEqual([...ids].sort());
    const cached = await withTenant(tenant.tenantId, (tx) =>
      tx.select({ key: aiExactCache.key }).from(aiExactCache).where(eq(aiExactCache.tenantId, tenant.tenantId)),
    );
    expect(cached.map((c) => c.key).sort()).toEqual(["key-r1", "key-r2", "key-r4", "key-r5"]);
  });
});

// A TCP connection to cut: PostgreSQL only (the embedded engine has no network between it and the app).
describe.runIf(testDatabaseUrl())("a database outage", () => {
  let proxy: TcpProxy;
  let database: Database;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ proxy, database, close } = await databaseBehindProxy(testDatabaseUrl()!, 4));
  });
  afterAll(async () => close?.());

  it("loses no call when the connection dies for 5 s under load: every event arrives exactly once", async () => {
    const tenant = await createTenant("Outage");
    const gateway = newGateway(offline, { db: database.db, meter: { lingerMs: 150, retryDelayMs: { base: 50, max: 400 } } });
    const ctx = { tenantId: tenant.tenantId, feature: "chat", cache: { noCache: true, noStore: true } };
    const completed: string[] = [];
    let refused = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          completed.push((await gateway.generate(ctx, { role: "chat", prompt: userPrompt(`question ${w}-${i}`) })).requestId);
        } catch (error) {
          expect(error).toMatchObject({ code: "service_unavailable", status: 503 });
          refused++; // admission needs the database: during the outage calls are refused, never free
          await sleep(20);
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3, 4].map(worker));
    // Under way before the cut (however slow the machine): some calls done, their records queued.
    for (let waited = 0; completed.length <= 10 && waited < 20_000; waited += 50) await sleep(50);
    const beforeCut = completed.length;

    proxy.cut(); // records of the calls that just completed are still lingering in the queue
    await sleep(5_000);
    await proxy.restore();
    await sleep(1_000);
    stop = true;
    await load;
    await gateway.flush();
    expect(beforeCut).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(0);
    // Every completed call has exactly one event; the only others are admissions cut off by the
    // outage, recorded free of charge once the database was back (they release what the database
    // may have reserved for them, so the sweep will not bill calls that never ran).
    const events = await eventsOf(tenant.tenantId);
    const completedIds = new Set(completed);
    expect(events.filter((e) => completedIds.has(e.requestId))).toHaveLength(completed.length);
    const others = events.filter((e) => !completedIds.has(e.requestId));
    expect(others.every((e) => e.status === "error" && e.errorCode === "service_unavailable" && e.inputTokens === 0)).toBe(true);
    // Offline calls spend no allowance: nothing reserved, nothing counted, outage or not.
    const quota = await quotaRow(tenant.tenantId);
    expect({ used: quota?.usedTokens ?? 0, reserved: quota?.reservedTokens ?? 0 }).toEqual({ used: 0, reserved: 0 });
  });

  it("spills past its bound during an outage, and the next process replays the spill exactly once", async () => {
    const tenant = await createTenant("Spill");
    const spillDir = mkdtempSync(path.join(tmpdir(), "keel-spill-test-"));
    const gateway = newGateway(offline, { db: database.db, meter: { lingerMs: 100, maxQueued: 5, spillDir, retryDelayMs: { base: 50, max: 200 } } });
    const ctx = { tenantId: tenant.tenantId, feature: "chat", cache: { noCache: true, noStore: true } };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => gateway.generate(ctx, { role: "chat", prompt: userPrompt(`spill ${i}`) })));
    proxy.cut();
    await sleep(1_000);
    expect(readdirSync(spillDir).filter((f) => f.endsWith(".jsonl")).length).toBeGreaterThan(0);
    // The process stops while the database is still down: what is left goes to disk too.
    await gateway.close(200);
    await proxy.restore();
    // A new process on the same spill directory.
    const restarted = new Meter({ db: database.db, spillDir });
    await restarted.replaySpilled();
    expect(readdirSync(spillDir)).toEqual([]);
    await expectReconciled(
      tenant.tenantId,
      results.map((r) => r.requestId),
    );
    // Replaying the same records again (another process found a copy) changes nothing.
    await new Meter({ db: database.db, spillDir }).replaySpilled();
    expect(await eventsOf(tenant.tenantId)).toHaveLength(20);
  });
});
