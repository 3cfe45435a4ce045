// Purging a workspace whose grace period has ended (issue 19.7): its stored files first, then every
// row that names it, in one transaction with the platform's record of the purge. Tenant-owned
// tables go with the tenant row (every tenant_id references it ON DELETE CASCADE: documents,
// chunks and their embeddings, collections, conversations, messages, caches, usage, jobs,
// notifications, API keys, webhooks, alerts, live streams…). The system tables that hold a
// tenant's id inside a payload (the local executor's events and runs, the development outbox)
// are cleared by searching their rows' text. db/purge-leaves-nothing.test.ts checks
// every table of the schema afterwards, so a table added later without a cascade fails it.
import { and, asc, isNotNull, lte, sql } from "drizzle-orm";
import { tenants } from "@/db/schema";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
import { log } from "@/core/log";
import { getBlobStore, type BlobStore } from "@/lib/storage";
import { recordPlatformAudit } from "./workspace-deletion";

/** System tables with no tenant_id column whose rows may carry a tenant's id in their payload. */
const payloadTables = ["local_executor_events", "local_executor_runs", "mail_outbox"] as const;

async function deleteRowsNaming(tx: Tx, tenantId: string): Promise<number> {
  let deleted = 0;
  for (const table of payloadTables) {
    const rows = await rawRows(tx, sql`delete from ${sql.identifier(table)} as t where strpos(t::text, ${tenantId}) > 0 returning 1`);
    deleted += rows.length;
  }
  return deleted;
}

interface PurgeOptions {
  store?: BlobStore;
  now?: Date;
}

/**
 * Purges the workspace if its deletion is due; returns false when it is not (restored, not
 * scheduled, or already gone). Files go first: a crash after them leaves the rows for the next
 * run, never rows pointing at nothing forever, and restoring is refused once the due date has
 * passed, so nothing restorable loses its files.
 */
export async function purgeWorkspace(tenantId: string, options: PurgeOptions = {}): Promise<boolean> {
  const now = options.now ?? new Date();
  const store = options.store ?? getBlobStore();
  const due = await withSystem("workspace purge: is it due", (tx) =>
    tx
      .select({ id: tenants.id })
      .from(tenants)
      .where(and(sql`${tenants.id} = ${tenantId}::uuid`, isNotNull(tenants.deletionDueAt), lte(tenants.deletionDueAt, now))),
  );
  if (due.length === 0) return false;
  // Originals and exports alike live under `<tenantId>/`.
  const files = await store.deleteTenant(tenantId);
  return withSystem("workspace purge: delete its rows", async (tx) => {
    const [tenant] = await tx
      .select({ requestedBy: tenants.deletionRequestedBy, requestedAt: tenants.deletionRequestedAt, dueAt: tenants.deletionDueAt })
      .from(tenants)
      .where(and(sql`${tenants.id} = ${tenantId}::uuid`, isNotNull(tenants.deletionDueAt), lte(tenants.deletionDueAt, now)))
      .for("update");
    if (!tenant) return false;
    const payloadRows = await deleteRowsNaming(tx, tenantId);
    await tx.delete(tenants).where(sql`${tenants.id} = ${tenantId}::uuid`);
    await recordPlatformAudit(tx, {
      action: "workspace.purged",
      subjectId: tenantId,
      actorUserId: tenant.requestedBy,
      metadata: { requestedAt: tenant.requestedAt?.toISOString() ?? null, dueAt: tenant.dueAt?.toISOString() ?? null, files, payloadRows },
    });
    log.info({ files, payloadRows }, "a workspace was purged after its grace period");
    return true;
  });
}

/** The workspaces whose grace period has ended, oldest first (ids only: the cron's step results keep none). */
function findDueWorkspaces(now = new Date(), limit = 20): Promise<string[]> {
  return withSystem("workspace purge: which are due", async (tx) => {
    const rows = await tx
      .select({ id: tenants.id })
      .from(tenants)
      .where(and(isNotNull(tenants.deletionDueAt), lte(tenants.deletionDueAt, now)))
      .orderBy(asc(tenants.deletionDueAt))
      .limit(limit);
    return rows.map((row) => row.id);
  });
}

/** Purges up to `limit` due workspaces, one at a time; returns how many were purged. */
export async function purgeDueWorkspaces(options: PurgeOptions & { limit?: number } = {}): Promise<number> {
  let purged = 0;
  for (const tenantId of await findDueWorkspaces(options.now, options.limit)) {
    if (await purgeWorkspace(tenantId, options)) purged++;
  }
  return purged;
}
