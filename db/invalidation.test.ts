// Caches that other processes must not keep stale: the production server runs several workers,
// so a change made in one must reach the others' memory. Each test changes the database the way
// another process would (no local eviction), so only the NOTIFY can clear this process's copy.
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiKeys } from "@/db/schema";
import { getDb } from "@/db/client";
import { announceInvalidation } from "@/db/invalidation";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import { baseGatewayConfig } from "@/lib/ai/config";
import { Gateway } from "@/lib/ai/gateway";
import { updateAiSettings } from "@/lib/ai/ai-settings";
import { authenticateApiKey, createApiKey, hashApiKey } from "@/lib/auth/api-keys";
import { createTenant } from "@/test/fixtures";
import { testDatabaseUrl } from "@/test/database-url";

describe("cross-process cache invalidation", () => {
  it("stops accepting an API key revoked by another process well before the cache would expire", async () => {
    const tenant = await createTenant("Revoked elsewhere");
    const { key } = await createApiKey(tenant, "ci");
    expect(await authenticateApiKey(key)).toMatchObject({ tenantId: tenant.tenantId });
    // Another worker revokes it: the row changes and the announcement goes out, nothing else.
    await withTenant(tenant.tenantId, async (tx) => {
      await tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.tenantId, tenant.tenantId), eq(apiKeys.keyHash, hashApiKey(key))));
      await announceInvalidation(tx, "api_key", hashApiKey(key));
    });
    // The verified-key cache holds entries for 10 s; the NOTIFY must clear it long before.
    const started = Date.now();
    await expect.poll(() => authenticateApiKey(key), { timeout: 3_000, interval: 20 }).toBeNull();
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("keeps an announcement unheard when its transaction rolls back", async () => {
    const tenant = await createTenant("Rolled back");
    const { key } = await createApiKey(tenant, "ci");
    expect(await authenticateApiKey(key)).not.toBeNull();
    await expect(
      withTenant(tenant.tenantId, async (tx) => {
        await announceInvalidation(tx, "api_key", hashApiKey(key));
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    // Still cached and still valid: nothing was revoked, and nothing was announced.
    expect(await authenticateApiKey(key)).toMatchObject({ tenantId: tenant.tenantId });
  });

  it("applies new AI limits saved by another process to this process's gateway", async () => {
    const tenant = await createTenant("Limits elsewhere");
    const gateway = new Gateway({ ...baseGatewayConfig, providers: [], profileTtlMs: 60_000 });
    const before = await gateway.profile(tenant.tenantId);
    // updateAiSettings announces the change; this gateway is never told directly.
    await updateAiSettings(tenant, {
      monthlyTokenLimit: 1234,
      monthlyUsdLimit: null,
      memberMonthlyTokenCap: null,
      softLimitPercent: 80,
      downgradeAtSoftLimit: false,
      warningWebhookUrl: null,
    });
    expect(before.tokenLimit).not.toBe(1234);
    await expect.poll(async () => (await gateway.profile(tenant.tenantId)).tokenLimit, { timeout: 3_000, interval: 20 }).toBe(1234);
  });

  // Announcements made while the LISTEN connection is down are lost; PostgreSQL only, where the
  // connection can drop (PGlite is in-process).
  it.runIf(testDatabaseUrl())("drops every cached key when it starts listening again after a lost connection", async () => {
    const tenant = await createTenant("Lost connection");
    const { key } = await createApiKey(tenant, "ci");
    expect(await authenticateApiKey(key)).not.toBeNull();
    // Revoked while nobody hears it: no announcement at all.
    await withTenant(tenant.tenantId, (tx) =>
      tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(eq(apiKeys.keyHash, hashApiKey(key))),
    );
    const db = await getDb();
    const killed = await rawRows<{ killed: boolean }>(
      db,
      sql`select pg_terminate_backend(pid) as killed from pg_stat_activity where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()`,
    );
    expect(killed.length).toBeGreaterThan(0);
    // postgres.js reconnects and listens again; the cache, possibly stale, is dropped then.
    await expect.poll(() => authenticateApiKey(key), { timeout: 8_000, interval: 20 }).toBeNull();
  });
});
