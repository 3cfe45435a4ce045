// The only ways product code reaches the database. Each opens a transaction and switches to a
// role that owns nothing, so row-level security applies even when the connection is a superuser.
//   withTenant  — tenant-owned rows of one tenant (the normal path)
//   withUser    — a signed-in user's own identity and memberships, before a tenant is chosen
//   withSystem  — the one explicit path for cross-tenant work: sign-up, sign-in lookups, crons
//   callTenantFunction — the gateway's hot path: one round trip into a tenant-scoped SQL function
import { sql } from "drizzle-orm";
import { z } from "zod";
import { getDb, type Db, type Tx } from "./client";
import { rawRows } from "./raw-rows";

const id = z.uuid();

async function scoped<T>(
  role: "keel_app" | "keel_system",
  tenantId: string,
  userId: string,
  fn: (tx: Tx) => Promise<T>,
  options: Pick<ScopeOptions, "db">,
): Promise<T> {
  const database = options.db ?? (await getDb());
  return database.transaction(async (tx) => {
    // set_config(..., true) is SET LOCAL: it ends with the transaction, so pooled connections
    // never carry one request's tenant into the next.
    await tx.execute(sql`select set_config('role', ${role}, true), set_config('app.tenant_id', ${tenantId}, true), set_config('app.user_id', ${userId}, true)`);
    return fn(tx);
  });
}

export interface ScopeOptions {
  /** The acting user, for policies that allow a user's own rows. */
  userId?: string;
  /** Another database than the process-wide one (tests). */
  db?: Db;
}

export function withTenant<T>(tenantId: string, fn: (tx: Tx) => Promise<T>, options: ScopeOptions = {}): Promise<T> {
  return scoped("keel_app", id.parse(tenantId), options.userId ? id.parse(options.userId) : "", fn, options);
}

export function withUser<T>(userId: string, fn: (tx: Tx) => Promise<T>, options: Pick<ScopeOptions, "db"> = {}): Promise<T> {
  return scoped("keel_app", "", id.parse(userId), fn, options);
}

/** Cross-tenant work. `reason` names the caller in code review and in grep: keep it specific. */
export function withSystem<T>(reason: string, fn: (tx: Tx) => Promise<T>, options: Pick<ScopeOptions, "db"> = {}): Promise<T> {
  if (!reason.trim()) throw new Error("withSystem needs a reason");
  return scoped("keel_system", "", "", fn, options);
}

/**
 * SQL functions (db/functions) whose first act is keel_enter_tenant(tenant, user): the same role
 * switch and tenant setting as withTenant, done inside the database. A test checks each of them.
 */
export const tenantFunctions = ["keel_admit", "keel_record_usage", "keel_rate_limit_consume"] as const;
export type TenantFunction = (typeof tenantFunctions)[number];

/** The SQL types a tenant function's arguments may have. */
export type ArgumentType = "uuid" | "text" | "int" | "bigint" | "float8" | "boolean" | "date" | "timestamptz" | "jsonb" | "vector";

/**
 * Calls one of `tenantFunctions` as a single statement: one round trip instead of five (begin, set
 * config, query, commit), which is what the gateway's per-call admission and metering need. The
 * statement is its own transaction, so the tenant setting ends with it, as with withTenant.
 * Arguments are values bound as parameters, never SQL: nothing runs before the function enters
 * the tenant's scope.
 */
export async function callTenantFunction<T>(
  name: TenantFunction,
  tenantId: string,
  args: Array<[value: unknown, type: ArgumentType]>,
  options: Pick<ScopeOptions, "db"> = {},
): Promise<T[]> {
  if (!tenantFunctions.includes(name)) throw new Error(`${name} is not a tenant-scoped function`);
  const database = options.db ?? (await getDb());
  const params = args.map(([value, type]) => sql`, ${value}::${sql.raw(type)}`);
  return rawRows<T>(database, sql`select * from ${sql.raw(name)}(${id.parse(tenantId)}::uuid${sql.join(params, sql``)})`);
}
