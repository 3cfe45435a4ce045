// Tenant A's rows for the isolation matrix (e2e/isolation-matrix.spec.ts), read from the catalog so a
// tenant table added later is covered without touching this file: plants a canary row in every
// tenant-owned table the product path left without one, proves the coverage, and snapshots every
// A row as text. Runs as the database owner (a superuser on the test server): row-level security
// must neither hide a row from the snapshot nor refuse a plant.
import postgres from "postgres";

export type Sql = postgres.Sql;

export function connect(databaseUrl: string): Sql {
  return postgres(databaseUrl, { max: 2, onnotice: () => {} });
}

/**
 * Tenant tables that hold no text a response could echo, or whose planted row would change what A
 * can do; each needs its reason. Every other table with a tenant_id needs an A row with a canary.
 */
export const canaryAllowList: Record<string, string> = {
  memberships: "the join of a tenant and a user: ids and a role enum, no text",
  live_streams: "ids and times only, and a row exists only while a stream is open",
  upload_reservations: "ids, a byte count and times only, held only while an upload runs",
  usage_late_events: "ids and dates only",
  member_quota_periods: "ids, a date and token counts only",
  quota_periods: "a date, limits and counters only",
  billing_periods: "a date and counters only (billing_lines carries the text)",
  chat_answer_hours: "an hour and counters only",
  usage_member_days: "ids, dates and counters only",
  tenant_two_factor_policies: "ids and a time only, and a planted row would make A's workspace require two factors",
};

interface TenantTable {
  name: string;
  columns: Column[];
}

interface Column {
  name: string;
  /** format_type(): `text`, `uuid`, `vector(384)`, `member_role`, `bigint[]`… */
  type: string;
  enumLabels: string[] | null;
  required: boolean;
  hasDefault: boolean;
}

/** Every base table of the public schema with a tenant_id column, with its columns. */
async function tenantTables(sql: Sql): Promise<TenantTable[]> {
  const rows = await sql<{ table: string; column: string; type: string; labels: string[] | null; required: boolean; has_default: boolean }[]>`
    select c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
      (select array_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = a.atttypid) as labels,
      a.attnotnull as required, (a.atthasdef or a.attgenerated <> '' or a.attidentity <> '') as has_default
    from pg_class c join pg_attribute a on a.attrelid = c.oid
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
      and exists (select 1 from pg_attribute t where t.attrelid = c.oid and t.attname = 'tenant_id' and not t.attisdropped)
    order by c.relname, a.attnum`;
  const tables = new Map<string, TenantTable>();
  for (const row of rows) {
    const table = tables.get(row.table) ?? { name: row.table, columns: [] };
    table.columns.push({ name: row.column, type: row.type, enumLabels: row.labels, required: row.required, hasDefault: row.has_default });
    tables.set(row.table, table);
  }
  return [...tables.values()];
}

/** How many of `tenantId`'s rows in `table` contain `needle` in any column, as text. */
async function rowsContaining(sql: Sql, table: string, tenantId: string, needle: string): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`select count(*)::int as n from ${sql(table)} as t where t.tenant_id = ${tenantId} and strpos(t::text, ${needle}) > 0`;
  return row?.n ?? 0;
}

/** The tenant tables where `tenantId` has no row mentioning `canaryPrefix` and that are not allow-listed. */
export async function tablesWithoutCanary(sql: Sql, tenantId: string, canaryPrefix: string): Promise<string[]> {
  const missing: string[] = [];
  for (const table of await tenantTables(sql)) {
    if (table.name in canaryAllowList) continue;
    if ((await rowsContaining(sql, table.name, tenantId, canaryPrefix)) === 0) missing.push(table.name);
  }
  return missing;
}

/** Unique strings sharing one prefix: any response holding the prefix leaked one. */
export interface Canaries {
  prefix: string;
  /** A new canary; the label (`table.column`) only says at the call site where it goes. */
  make(label: string): string;
}

/** A's rows other planted rows point at: the planted row is A's own through and through. */
export interface OwnerRefs {
  tenantId: string;
  userId: string;
  documentId: string;
  collectionId: string;
  conversationId: string;
  jobId: string;
  apiKeyId: string;
}

/**
 * Values a generic row would get wrong: a status a background worker would pick up (and so change A's
 * row without A doing anything), or one a check constraint refuses.
 */
const plantOverrides: Record<string, Record<string, (canary: string) => unknown>> = {
  documents: { status: () => "failed" },
  jobs: { status: () => "failed" },
  embedding_batches: { status: () => "failed" },
  webhook_deliveries: { status: () => "delivered" },
  usage_events: { price_tier: () => "standard" },
  chat_messages: { rating: () => null },
  alert_episodes: { resolved_at: () => new Date() },
  tenant_ai_settings: { warning_webhook_url: (canary) => `https://hooks.example.com/${canary}`, warning_webhook_secret: () => null },
};

function referenceFor(column: string, refs: OwnerRefs): string | null {
  if (["user_id", "actor_user_id", "created_by", "uploaded_by", "requested_by", "updated_by", "required_by", "accepted_by", "actor_id"].includes(column))
    return refs.userId;
  if (column === "document_id") return refs.documentId;
  if (column === "collection_id") return refs.collectionId;
  if (column === "conversation_id") return refs.conversationId;
  if (column === "job_id") return refs.jobId;
  if (column === "api_key_id") return refs.apiKeyId;
  return null;
}

/** A value for one column of a planted row, or undefined to leave it to its default. */
function plantValue(table: string, column: Column, canary: string, refs: OwnerRefs): unknown {
  const override = plantOverrides[table]?.[column.name];
  if (override) return override(canary);
  if (column.name === "tenant_id") return refs.tenantId;
  const type = column.type;
  // Every text field of a planted row holds a canary, required or not.
  if (type === "text" || type.startsWith("character varying")) return canary;
  if (type === "jsonb" || type === "json") return { canary };
  if (type === "uuid") return referenceFor(column.name, refs) ?? (column.required && !column.hasDefault ? crypto.randomUUID() : undefined);
  if (column.hasDefault || !column.required) return undefined;
  if (column.enumLabels) return column.enumLabels[0];
  if (type === "boolean") return false;
  if (["integer", "bigint", "smallint", "double precision", "real", "numeric"].includes(type)) return 0;
  if (type === "date") return new Date().toISOString().slice(0, 10);
  if (type.startsWith("timestamp")) return column.name.startsWith("expires") ? new Date(Date.now() + 86_400_000) : new Date();
  if (type.endsWith("[]")) return [];
  const vector = /^vector\((\d+)\)$/.exec(type);
  if (vector) return `[${Array.from({ length: Number(vector[1]) }, () => "0.01").join(",")}]`;
  throw new Error(`the isolation matrix cannot plant a ${type} (${table}.${column.name}): add an override in e2e/pages/isolation/tenant-rows.ts`);
}

/**
 * Plants one A row holding canaries in every tenant table that has none yet (and is not allow-listed).
 * Returns what it could not plant, with the database's reason: the coverage check then names them.
 */
export async function plantCanaryRows(sql: Sql, refs: OwnerRefs, canaries: Canaries): Promise<Record<string, string>> {
  const failures: Record<string, string> = {};
  for (const table of await tenantTables(sql)) {
    if (table.name in canaryAllowList) continue;
    if ((await rowsContaining(sql, table.name, refs.tenantId, canaries.prefix)) > 0) continue;
    const row: Record<string, unknown> = {};
    for (const column of table.columns) {
      const value = plantValue(table.name, column, canaries.make(`${table.name}.${column.name}`), refs);
      if (value !== undefined) row[column.name] = value;
    }
    const names = Object.keys(row);
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe(
          `insert into "${table.name}" (${names.map((n) => `"${n}"`).join(", ")}) values (${names.map((n, i) => `$${i + 1}${castFor(table, n)}`).join(", ")})`,
          names.map((n) => serialise(row[n])) as postgres.ParameterOrJSON<never>[],
        );
      });
    } catch (error) {
      failures[table.name] = error instanceof Error ? error.message : String(error);
    }
  }
  return failures;
}

function castFor(table: TenantTable, name: string): string {
  const type = table.columns.find((c) => c.name === name)?.type ?? "text";
  return `::${type}`;
}

function serialise(value: unknown): unknown {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `{${value.join(",")}}`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Every row of `tenantId` in every tenant table (and its tenants row), as text, ordered: the before/after picture. */
export async function snapshotTenant(sql: Sql, tenantId: string, ignoredColumns: Record<string, string[]> = {}): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {};
  const [tenant] = await sql<{ row: string }[]>`select t::text as row from tenants t where t.id = ${tenantId}`;
  snapshot.tenants = tenant ? [tenant.row] : [];
  for (const table of await tenantTables(sql)) {
    const ignored = new Set(ignoredColumns[table.name] ?? []);
    const kept = table.columns.filter((c) => !ignored.has(c.name)).map((c) => `"${c.name}"`);
    const rows = await sql.unsafe<{ row: string }[]>(`select row(${kept.join(", ")})::text as row from "${table.name}" where tenant_id = $1 order by 1`, [
      tenantId,
    ]);
    snapshot[table.name] = rows.map((r) => r.row);
  }
  return snapshot;
}
