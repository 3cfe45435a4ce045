// Tenant API keys for /api/v1: shown once, stored as sha256, listed by prefix, revocable.
import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import { apiKeys, tenants, users, type ApiKey } from "@/db/schema";
import type { Db, Tx } from "@/db/client";
import { withSystem, withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { announceInvalidation, invalidationEpoch, listenForInvalidations, onInvalidation } from "@/db/invalidation";
import { processSingleton } from "@/core/process-singleton";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import { recordAudit } from "@/lib/tenancy/audit";
import type { LostRightsReason } from "@/lib/tenancy/invitations";

const KEY_PREFIX = "keel_";

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

function requireKeyManager(ctx: TenantContext): void {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can manage API keys.");
}

export type NewApiKeySummary = Pick<ApiKey, "id" | "name" | "prefix" | "createdAt" | "lastUsedAt" | "revokedAt">;

export interface ApiKeySummary extends NewApiKeySummary {
  createdBy: string | null;
  /** Null when the creator's account is gone or they are no longer a member (their keys were revoked then). */
  creatorName: string | null;
}

export async function createApiKey(ctx: TenantContext, name: string): Promise<{ key: string; summary: NewApiKeySummary }> {
  requireKeyManager(ctx);
  const key = `${KEY_PREFIX}${randomBytes(24).toString("base64url")}`;
  const prefix = key.slice(0, KEY_PREFIX.length + 6);
  const summary = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const [row] = await tx
        .insert(apiKeys)
        .values({ tenantId: ctx.tenantId, name, prefix, keyHash: hashApiKey(key), createdBy: ctx.userId })
        .returning({
          id: apiKeys.id,
          name: apiKeys.name,
          prefix: apiKeys.prefix,
          createdAt: apiKeys.createdAt,
          lastUsedAt: apiKeys.lastUsedAt,
          revokedAt: apiKeys.revokedAt,
        });
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "api_key.created",
        targetType: "api_key",
        targetId: row!.id,
        metadata: { prefix },
      });
      return row!;
    },
    { userId: ctx.userId },
  );
  return { key, summary };
}

export function listApiKeys(ctx: TenantContext): Promise<ApiKeySummary[]> {
  requireKeyManager(ctx);
  return withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select({
          id: apiKeys.id,
          name: apiKeys.name,
          prefix: apiKeys.prefix,
          createdAt: apiKeys.createdAt,
          lastUsedAt: apiKeys.lastUsedAt,
          revokedAt: apiKeys.revokedAt,
          createdBy: apiKeys.createdBy,
          // Row-level security shows users who are members of this tenant: a former member's name is null.
          creatorName: users.name,
        })
        .from(apiKeys)
        .leftJoin(users, eq(users.id, apiKeys.createdBy))
        .where(eq(apiKeys.tenantId, ctx.tenantId))
        .orderBy(desc(apiKeys.createdAt)),
    { userId: ctx.userId },
  );
}

export async function revokeApiKey(ctx: TenantContext, id: string): Promise<void> {
  requireKeyManager(ctx);
  const hashes = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const rows = await tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, ctx.tenantId), isNull(apiKeys.revokedAt)))
        .returning({ keyHash: apiKeys.keyHash });
      if (rows.length === 0) throw new KeelError("not_found", "That API key does not exist or is already revoked.");
      await recordAudit(tx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, action: "api_key.revoked", targetType: "api_key", targetId: id });
      for (const row of rows) await announceInvalidation(tx, "api_key", row.keyHash);
      return rows.map((r) => r.keyHash);
    },
    { userId: ctx.userId },
  );
  for (const hash of hashes) verifiedKeys.delete(hash);
}

/**
 * Revokes the active keys `creatorId` created in the tenant, inside the caller's transaction (the
 * one that removes them or takes away their admin role), each audited and announced so every
 * process drops it from its verified-key cache when the transaction commits. Returns the key
 * hashes, for forgetVerifiedApiKeys once committed.
 */
export async function revokeApiKeysCreatedBy(
  tx: Tx,
  input: { tenantId: string; creatorId: string; actorUserId: string; reason: LostRightsReason },
): Promise<string[]> {
  const revoked = await tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.tenantId, input.tenantId), eq(apiKeys.createdBy, input.creatorId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id, keyHash: apiKeys.keyHash, prefix: apiKeys.prefix });
  for (const key of revoked) {
    await recordAudit(tx, {
      tenantId: input.tenantId,
      actorUserId: input.actorUserId,
      action: "api_key.revoked",
      targetType: "api_key",
      targetId: key.id,
      metadata: { reason: input.reason, createdBy: input.creatorId, prefix: key.prefix },
    });
    await announceInvalidation(tx, "api_key", key.keyHash);
  }
  return revoked.map((key) => key.keyHash);
}

/** Drops keys from this process's cache at once (others hear the announcement). */
export function forgetVerifiedApiKeys(hashes: readonly string[]): void {
  for (const hash of hashes) verifiedKeys.delete(hash);
}

export interface ApiKeyPrincipal {
  apiKeyId: string;
  tenantId: string;
}

// Verified keys are remembered briefly so the API's hot path skips a database round trip.
// Revocation clears the entry in this process at once, and in every other process (the server's
// other workers, other servers) as soon as they hear its NOTIFY; KEY_CACHE_MS bounds the rest.
const KEY_CACHE_MS = 10_000;
const verifiedKeys = processSingleton("api-keys:verified", () => {
  const cache = new LRUCache<string, ApiKeyPrincipal>({ max: 10_000, ttl: KEY_CACHE_MS });
  onInvalidation("api_key", (hash) => (hash === null ? cache.clear() : cache.delete(hash)));
  return cache;
});
const lastUsedWrites = processSingleton("api-keys:last-used-writes", () => new LRUCache<string, true>({ max: 10_000, ttl: 60_000 }));

/** The tenant behind a key, or null. Runs before any tenant is known: a system-path lookup. */
export async function authenticateApiKey(key: string, options: { db?: Db } = {}): Promise<ApiKeyPrincipal | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
  const hash = hashApiKey(key);
  const cached = verifiedKeys.get(hash);
  if (cached) return cached;
  await listenForInvalidations();
  const epoch = invalidationEpoch("api_key");
  const principal = await withSystem(
    "api key authentication",
    async (tx) => {
      const [row] = await tx
        .select({ id: apiKeys.id, tenantId: apiKeys.tenantId })
        .from(apiKeys)
        // A workspace scheduled for deletion is unusable, through its keys too (issue 19.7).
        .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
        .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt), isNull(tenants.deletionDueAt)));
      return row ? { apiKeyId: row.id, tenantId: row.tenantId } : null;
    },
    options,
  );
  if (!principal) return null;
  // A revocation heard while reading may be this key's: then do not remember it.
  if (invalidationEpoch("api_key") === epoch) verifiedKeys.set(hash, principal);
  if (!lastUsedWrites.get(principal.apiKeyId)) {
    lastUsedWrites.set(principal.apiKeyId, true);
    void withTenant(principal.tenantId, (tx) => tx.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, principal.apiKeyId)), options).catch(
      () => {},
    );
  }
  return principal;
}
