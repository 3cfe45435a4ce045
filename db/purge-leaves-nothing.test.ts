// The proof that deleting a workspace leaves nothing of it (issue 19.7): a workspace with content in
// every kind of table and files in storage is scheduled for deletion and purged; then every table
// of the schema (read from the catalog, so a table added later is covered without touching this
// test) is searched for the workspace's id in any column, and the storage directory is walked.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { getBlobStore, storageDirectory } from "@/lib/storage";
import { scheduleWorkspaceDeletion, subjectHash } from "@/lib/tenancy/workspace-deletion";
import { purgeDueWorkspaces, purgeWorkspace } from "@/lib/tenancy/workspace-purge";
import { createTenant } from "@/test/fixtures";
import { seedWorkspace } from "@/test/leaving-harness";

const DAY_MS = 86_400_000;

/** Every table of the public schema whose rows mention `id` anywhere (any column, as text), with how many. */
async function tablesNaming(id: string): Promise<Record<string, number>> {
  const db = await getDb();
  const tables = await rawRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  const found: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    // As the connection's own role (owner or superuser), not through a scope: row-level security must not hide a leftover.
    const [row] = await rawRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(table)} as t where strpos(t::text, ${id}) > 0`);
    if (row && row.n > 0) found[table] = row.n;
  }
  return found;
}

async function filesNaming(id: string): Promise<string[]> {
  const root = storageDirectory();
  const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((entry) => entry.split(path.sep).some((part) => part.includes(id)));
}

describe("purging a deleted workspace", () => {
  it("leaves no row naming it in any table and no file in storage, and keeps another workspace whole", async () => {
    const doomed = await createTenant("Doomed");
    const kept = await createTenant("Kept");
    await seedWorkspace(doomed);
    await seedWorkspace(kept);

    const before = await tablesNaming(doomed.tenantId);
    // The seed reaches every family of tenant-owned table, so the search below has something to miss.
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining([
        "tenants",
        "memberships",
        "invitations",
        "collections",
        "documents",
        "document_chunks",
        "jobs",
        "job_events",
        "notifications",
        "conversations",
        "chat_messages",
        "usage_events",
        "tenant_ai_settings",
        "api_keys",
        "audit_log",
        "workspace_exports",
        "local_executor_events",
        "mail_outbox",
      ]),
    );
    expect((await getBlobStore().list(`${doomed.tenantId}/`)).length).toBeGreaterThanOrEqual(2);
    const keptBefore = await tablesNaming(kept.tenantId);

    const now = new Date();
    const schedule = await scheduleWorkspaceDeletion(doomed, { confirmName: "Doomed" }, now);
    // Not due yet: nothing happens.
    expect(await purgeWorkspace(doomed.tenantId, { now })).toBe(false);
    expect(await purgeDueWorkspaces({ now: new Date(schedule.dueAt.getTime() + DAY_MS) })).toBeGreaterThanOrEqual(1);

    expect(await tablesNaming(doomed.tenantId)).toEqual({});
    expect(await filesNaming(doomed.tenantId)).toEqual([]);
    // The platform keeps its record, naming the workspace only by a hash.
    const db = await getDb();
    const records = await rawRows<{ action: string }>(
      db,
      sql`select action from platform_audit_log where subject_hash = ${subjectHash(doomed.tenantId)} order by created_at`,
    );
    expect(records.map((r) => r.action)).toEqual(["workspace.deletion_scheduled", "workspace.purged"]);

    // The other workspace lost nothing.
    expect(await tablesNaming(kept.tenantId)).toEqual(keptBefore);
    expect((await getBlobStore().list(`${kept.tenantId}/`)).length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
