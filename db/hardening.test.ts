// Database hardening, read from the catalog and tried in practice: every keel_* function runs with a
// pinned search_path; the app role cannot change a tenant's plan, and cannot rewrite the audit log.
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog, tenants } from "@/db/schema";
import { getDb } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { withSystem, withTenant } from "@/db/scope";
import { recordAudit } from "@/lib/tenancy/audit";
import { createTenant } from "@/test/fixtures";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;

beforeAll(async () => {
  owner = await createTenant("Hardened");
});

/** The driver's message under drizzle's wrapper ("Failed query: …"). */
async function refusal(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "the statement should have been refused").not.toBeNull();
  const cause = (error as { cause?: unknown }).cause;
  return String(cause instanceof Error ? cause.message : error);
}

describe("SQL functions", () => {
  it("pin search_path on every keel_* function in the public schema", async () => {
    const rows = await rawRows<{ name: string; config: string[] | null }>(
      await getDb(),
      sql`select p.oid::regprocedure::text as name, p.proconfig as config
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = 'public' and p.proname like 'keel\_%'
          order by 1`,
    );
    // The functions of migrations 0002 and 0005 at least; any added later is held to the same rule.
    expect(rows.map((r) => r.name.replace(/\(.*/, ""))).toEqual(
      expect.arrayContaining(["keel_admit", "keel_current_tenant", "keel_current_user", "keel_enter_tenant", "keel_record_usage"]),
    );
    const unpinned = rows.filter((r) => !(r.config ?? []).includes("search_path=public, pg_temp")).map((r) => r.name);
    expect(unpinned).toEqual([]);
  });
});

describe("grants of the app role (keel_app)", () => {
  it("cover a tenant's name and slug but not its plan, and leave the audit log append-only", async () => {
    const [row] = await rawRows<Record<string, boolean>>(
      await getDb(),
      sql`select
            has_column_privilege('keel_app', 'tenants', 'plan', 'UPDATE') as plan_update,
            has_column_privilege('keel_app', 'tenants', 'name', 'UPDATE') as name_update,
            has_column_privilege('keel_app', 'tenants', 'slug', 'UPDATE') as slug_update,
            has_table_privilege('keel_app', 'tenants', 'UPDATE') as tenants_table_update,
            has_table_privilege('keel_app', 'audit_log', 'INSERT') as audit_insert,
            has_table_privilege('keel_app', 'audit_log', 'SELECT') as audit_select,
            has_table_privilege('keel_app', 'audit_log', 'UPDATE') as audit_update,
            has_table_privilege('keel_app', 'audit_log', 'DELETE') as audit_delete,
            has_table_privilege('keel_app', 'audit_log', 'TRUNCATE') as audit_truncate,
            has_any_column_privilege('keel_app', 'audit_log', 'UPDATE') as audit_column_update,
            has_column_privilege('keel_system', 'tenants', 'plan', 'UPDATE') as system_plan_update`,
    );
    expect(row).toEqual({
      plan_update: false,
      name_update: true,
      slug_update: true,
      tenants_table_update: false,
      audit_insert: true,
      audit_select: true,
      audit_update: false,
      audit_delete: false,
      audit_truncate: false,
      audit_column_update: false,
      system_plan_update: true,
    });
  });

  it("refuse a tenant transaction that changes its own plan, or opens a workspace on a paid plan", async () => {
    expect(await refusal(withTenant(owner.tenantId, (tx) => tx.update(tenants).set({ plan: "enterprise" }).where(eq(tenants.id, owner.tenantId))))).toMatch(
      /permission denied/,
    );
    // Renaming, which the app does, still works.
    await withTenant(owner.tenantId, (tx) => tx.update(tenants).set({ name: "Hardened, renamed" }).where(eq(tenants.id, owner.tenantId)));
    const newTenantId = crypto.randomUUID();
    expect(
      await refusal(
        withTenant(newTenantId, (tx) => tx.insert(tenants).values({ id: newTenantId, name: "Paid for nothing", slug: `paid-${newTenantId}`, plan: "pro" })),
      ),
    ).toMatch(/row-level security/);
    const [tenant] = await withSystem("test: read the plan", (tx) => tx.select().from(tenants).where(eq(tenants.id, owner.tenantId)));
    expect(tenant).toMatchObject({ plan: "free", name: "Hardened, renamed" });
  });

  it("refuse a tenant transaction that updates or deletes its audit rows, but let it append", async () => {
    await withTenant(owner.tenantId, (tx) => recordAudit(tx, { tenantId: owner.tenantId, actorUserId: owner.userId, action: "tenant.renamed" }));
    const before = await withTenant(owner.tenantId, (tx) => tx.select().from(auditLog));
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(await refusal(withTenant(owner.tenantId, (tx) => tx.update(auditLog).set({ action: "nothing.happened" })))).toMatch(/permission denied/);
    expect(await refusal(withTenant(owner.tenantId, (tx) => tx.delete(auditLog)))).toMatch(/permission denied/);
    expect(await refusal(withTenant(owner.tenantId, (tx) => tx.execute(sql`truncate audit_log`)))).toMatch(/permission denied/);
    expect(await withTenant(owner.tenantId, (tx) => tx.select().from(auditLog))).toEqual(before);
  });

  it("still lets a deleted tenant take its audit rows with it (the cascade runs as the table owner)", async () => {
    const doomed = await createTenant("Doomed");
    await withSystem("test: delete a tenant", (tx) => tx.delete(tenants).where(eq(tenants.id, doomed.tenantId)));
    const left = await withSystem("test: audit rows of a deleted tenant", (tx) => tx.select().from(auditLog).where(eq(auditLog.tenantId, doomed.tenantId)));
    expect(left).toEqual([]);
  });
});
