// Row-level security holds on whichever engine the tests run (PostgreSQL in CI, else PGlite).
import { count, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { accountTokens, auditLog, invitations, memberships, tenants, users } from "@/db/schema";
import { getDb } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { callTenantFunction, tenantFunctions, withSystem, withTenant, withUser } from "@/db/scope";
import { createInvitation } from "@/lib/tenancy/invitations";
import { addMember, createTenant } from "@/test/fixtures";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let a: Owner;
let b: Owner;
let invitationOfB: string;

beforeAll(async () => {
  a = await createTenant("Tenant A");
  b = await createTenant("Tenant B");
  await addMember(a, "member");
  await addMember(b, "admin");
  await createInvitation(a, { role: "member", expiresInDays: 3 });
  invitationOfB = (await createInvitation(b, { role: "member", expiresInDays: 3 })).invitation.id;
});

const tenantOwnedTables = { tenants, memberships, invitations, auditLog } as const;

describe("row-level security", () => {
  it("shows tenant A's context none of tenant B's rows", async () => {
    await withTenant(a.tenantId, async (tx) => {
      expect((await tx.select().from(tenants)).map((t) => t.id)).toEqual([a.tenantId]);
      const memberRows = await tx.select().from(memberships);
      expect(memberRows).toHaveLength(2);
      expect(memberRows.every((m) => m.tenantId === a.tenantId)).toBe(true);
      const invitationRows = await tx.select().from(invitations);
      expect(invitationRows.length).toBeGreaterThan(0);
      expect(invitationRows.every((i) => i.tenantId === a.tenantId)).toBe(true);
      const auditRows = await tx.select().from(auditLog);
      expect(auditRows.length).toBeGreaterThan(0);
      expect(auditRows.every((r) => r.tenantId === a.tenantId)).toBe(true);
      // Users: only the members of A are visible, not B's.
      const visibleUsers = (await tx.select({ id: users.id }).from(users)).map((u) => u.id);
      expect(visibleUsers).toContain(a.userId);
      expect(visibleUsers).not.toContain(b.userId);
      // Even asking for B's rows by id finds nothing.
      expect(await tx.select().from(tenants).where(eq(tenants.id, b.tenantId))).toEqual([]);
      expect(await tx.select().from(invitations).where(eq(invitations.id, invitationOfB))).toEqual([]);
    });
  });

  it("refuses to write rows into another tenant", async () => {
    await expect(
      withTenant(a.tenantId, (tx) =>
        tx.insert(invitations).values({ tenantId: b.tenantId, role: "admin", tokenHash: "forged", expiresAt: new Date(Date.now() + 1e6) }),
      ),
    ).rejects.toThrow();
    await expect(withTenant(a.tenantId, (tx) => tx.insert(memberships).values({ tenantId: b.tenantId, userId: a.userId, role: "owner" }))).rejects.toThrow();
    // Moving one of A's own rows into B is refused too (WITH CHECK).
    await expect(withTenant(a.tenantId, (tx) => tx.update(invitations).set({ tenantId: b.tenantId }))).rejects.toThrow();
  });

  it("changes 0 rows when an UPDATE or DELETE aims at another tenant's row", async () => {
    const updated = await withTenant(a.tenantId, (tx) => tx.update(invitations).set({ role: "admin" }).where(eq(invitations.id, invitationOfB)).returning());
    expect(updated).toHaveLength(0);
    const renamed = await withTenant(a.tenantId, (tx) => tx.update(tenants).set({ name: "pwned" }).where(eq(tenants.id, b.tenantId)).returning());
    expect(renamed).toHaveLength(0);
    const deleted = await withTenant(a.tenantId, (tx) => tx.delete(memberships).where(eq(memberships.tenantId, b.tenantId)).returning());
    expect(deleted).toHaveLength(0);
    const [row] = await withSystem("test: verify B untouched", (tx) => tx.select().from(invitations).where(eq(invitations.id, invitationOfB)));
    expect(row?.role).toBe("member");
    const [tenantB] = await withSystem("test: verify B untouched", (tx) => tx.select().from(tenants).where(eq(tenants.id, b.tenantId)));
    expect(tenantB?.name).toBe("Tenant B");
  });

  it("gives the app role zero rows without a tenant context", async () => {
    const db = await getDb();
    await db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('role', 'keel_app', true)`);
      for (const table of [...Object.values(tenantOwnedTables), users]) {
        const [{ n }] = (await tx.select({ n: count() }).from(table)) as [{ n: number }];
        expect(n).toBe(0);
      }
    });
  });

  it("lets a user outside any tenant see only their own memberships", async () => {
    await withUser(a.userId, async (tx) => {
      const own = await tx.select().from(memberships);
      expect(own.map((m) => m.tenantId)).toEqual([a.tenantId]);
      expect((await tx.select().from(tenants)).map((t) => t.id)).toEqual([a.tenantId]);
      expect(await tx.select().from(invitations)).toEqual([]);
    });
  });

  it("keeps sign-in throttling state away from the app role", async () => {
    const error = await withTenant(a.tenantId, (tx) => tx.execute(sql`select * from sign_in_attempts`)).catch((e: unknown) => e);
    expect(String((error as Error).cause)).toMatch(/permission denied/);
  });

  it("keeps the development outbox away from the app role, and shows a person only their own account tokens", async () => {
    const error = await withUser(a.userId, (tx) => tx.execute(sql`select * from mail_outbox`)).catch((e: unknown) => e);
    expect(String((error as Error).cause)).toMatch(/permission denied/);
    await withSystem("test: a token for each", async (tx) => {
      for (const [userId, hash] of [
        [a.userId, `rls-a-${a.userId}`],
        [b.userId, `rls-b-${b.userId}`],
      ] as const) {
        await tx
          .insert(accountTokens)
          .values({ userId, purpose: "reset_password", tokenHash: hash, email: "x@example.test", expiresAt: new Date(Date.now() + 60_000) });
      }
    });
    await withUser(a.userId, async (tx) => {
      const visible = await tx.select({ userId: accountTokens.userId }).from(accountTokens);
      expect(visible.length).toBeGreaterThan(0);
      expect(visible.every((t) => t.userId === a.userId)).toBe(true);
      // Nor can one issue a token for someone else.
      await expect(
        tx.transaction((sp) =>
          sp
            .insert(accountTokens)
            .values({ userId: b.userId, purpose: "change_email", tokenHash: `forged-${b.userId}`, email: "me@example.test", expiresAt: new Date() }),
        ),
      ).rejects.toThrow();
    });
    const forcedTables = await rawRows<{ name: string }>(
      await getDb(),
      sql`select relname as name from pg_class where relname in ('mail_outbox', 'account_tokens') and relrowsecurity and relforcerowsecurity`,
    );
    expect(forcedTables.map((r) => r.name).sort()).toEqual(["account_tokens", "mail_outbox"]);
  });

  it("forces RLS on every table that has a tenant_id, under roles that own nothing and cannot bypass it", async () => {
    const db = await getDb();
    const rows = await rawRows<{ name: string; enabled: boolean; forced: boolean }>(
      db,
      sql`
      select c.relname as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'
        and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) or c.relname in ('tenants', 'users'))
    `,
    );
    expect(rows.map((r) => r.name).sort()).toEqual(expect.arrayContaining(["audit_log", "invitations", "memberships", "tenants", "users"]));
    for (const row of rows) expect({ name: row.name, enabled: row.enabled, forced: row.forced }).toEqual({ name: row.name, enabled: true, forced: true });

    const roleRows = await rawRows<{ name: string; bypass: boolean; super: boolean; login: boolean; owned: number }>(
      db,
      sql`
      select r.rolname as name, r.rolbypassrls as bypass, r.rolsuper as super, r.rolcanlogin as login,
             (select count(*)::int from pg_class c where c.relowner = r.oid) as owned
      from pg_roles r where r.rolname in ('keel_app', 'keel_system') order by r.rolname
    `,
    );
    expect(roleRows).toEqual([
      { name: "keel_app", bypass: false, super: false, login: false, owned: 0 },
      { name: "keel_system", bypass: false, super: false, login: false, owned: 0 },
    ]);
  });

  it("enters the tenant's scope first thing in every tenant-scoped SQL function, never as a definer", async () => {
    const db = await getDb();
    const rows = await rawRows<{ name: string; body: string; definer: boolean }>(
      db,
      sql`
      select p.proname as name, p.prosrc as body, p.prosecdef as definer from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.proname = any(${`{${tenantFunctions.join(",")}}`}::text[])`,
    );
    expect(rows.map((r) => r.name).sort()).toEqual([...tenantFunctions].sort());
    for (const row of rows) {
      // The first statement after BEGIN (declarations aside) must switch role and tenant.
      const firstStatement = row.body
        .split(/\bBEGIN\b/)[1]!
        .trim()
        .split(";")[0];
      expect({ name: row.name, firstStatement, definer: row.definer }).toEqual({
        name: row.name,
        firstStatement: "PERFORM keel_enter_tenant(p_tenant, " + (row.name === "keel_admit" ? "p_user)" : "NULL)"),
        definer: false,
      });
    }
  });

  it("gives a tenant-scoped function of tenant B none of tenant A's rows", async () => {
    // Tenant A caches an answer; tenant B's admission under the very same key must miss.
    await withTenant(a.tenantId, (tx) =>
      tx.execute(
        sql`insert into ai_exact_cache (tenant_id, key, completion, expires_at) values (${a.tenantId}, 'shared-key', '{"text":"A"}', now() + interval '1 hour')`,
      ),
    );
    const admitAs = (tenantId: string) =>
      callTenantFunction<{ outcome: string }>("keel_admit", tenantId, [
        [null, "uuid"],
        ["shared-key", "text"],
        [null, "text"],
        [null, "vector"],
        [null, "float8"],
        [crypto.randomUUID(), "uuid"],
        [1, "bigint"],
        [0, "bigint"],
        [new Date(Date.now() + 60_000).toISOString(), "timestamptz"],
        [new Date().toISOString().slice(0, 8) + "01", "date"],
        [0, "bigint"],
        [null, "bigint"],
        [null, "bigint"],
        [80, "int"],
        [crypto.randomUUID(), "text"],
        ["test", "text"],
        ["chat", "text"],
        ["openai", "text"],
        ["gpt-4o-mini", "text"],
        [null, "uuid"],
        // A paid call: charged against the allowance (offline calls spend none, so would be admitted).
        [true, "boolean"],
      ]);
    expect((await admitAs(a.tenantId))[0]?.outcome).toBe("exact");
    // B misses, then is refused by its own zero limit: it neither read A's answer nor A's quota.
    expect((await admitAs(b.tenantId))[0]?.outcome).toBe("refused");
    // The scope ended with the statement: the pooled connection is back to its own role.
    expect((await rawRows<{ role: string }>(await getDb(), sql`select current_user as role`))[0]?.role).not.toMatch(/^keel_/);
  });
});
