// Keel's SQL functions as sources: each `db/functions/<name>.sql` holds one function's current
// definition (as pg_get_functiondef prints it) and, after it, statements about that function only
// (owner, grants). They are applied after the versioned migrations, like Flyway's repeatable
// (R__) migrations: a file whose hash is recorded as applied, and whose function exists, is skipped.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Db, Tx } from "./types";
import { rawRows } from "./raw-rows";

export interface FunctionSource {
  /** The function's name, which is also the file's name. */
  name: string;
  /** The `CREATE OR REPLACE FUNCTION` statement, without its closing semicolon. */
  definition: string;
  /** Statements about the function after it (ALTER FUNCTION … OWNER, REVOKE, GRANT). */
  privileges: string[];
  /** sha256 of the whole file: any change, comments included, applies it again. */
  hash: string;
}

const DEFINITION_START = /^CREATE OR REPLACE FUNCTION public\.(\w+)\(/m;
const DOLLAR_QUOTE = /\bAS (\$\w*\$)/;

/** Drops `--` comment lines and blank lines (outside the definition only). */
function withoutComments(text: string): string {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("--"))
    .join("\n");
}

/** Splits one file; throws with the file's name when it does not follow the format above. */
export function parseFunctionSource(fileName: string, text: string): FunctionSource {
  const name = path.basename(fileName, ".sql");
  const fail = (why: string) => new Error(`db/functions/${fileName}: ${why}`);
  const start = DEFINITION_START.exec(text);
  if (!start) throw fail("no `CREATE OR REPLACE FUNCTION public.<name>(` line");
  if (start[1] !== name) throw fail(`defines ${start[1]}, but the file is named for ${name}`);
  if (withoutComments(text.slice(0, start.index)) !== "") throw fail("only comments may come before the definition");
  const quote = DOLLAR_QUOTE.exec(text.slice(start.index));
  if (!quote) throw fail("the body must be dollar-quoted (AS $function$ … $function$)");
  const bodyStart = start.index + quote.index + quote[0].length;
  const bodyEnd = text.indexOf(quote[1]!, bodyStart);
  if (bodyEnd < 0) throw fail(`the body's closing ${quote[1]} is missing`);
  const definitionEnd = bodyEnd + quote[1]!.length;
  const rest = text.slice(definitionEnd);
  if (!rest.startsWith(";")) throw fail(`a semicolon must follow the closing ${quote[1]}`);
  // Privilege statements are one-liners about this function: splitting on `;` is then exact.
  const privileges = withoutComments(rest.slice(1))
    .split(";")
    .map((statement) => statement.trim())
    .filter((statement) => statement !== "");
  for (const statement of privileges) {
    if (!/^(ALTER FUNCTION|REVOKE|GRANT|COMMENT ON FUNCTION)\b/.test(statement) || !statement.includes(`public.${name}(`)) {
      throw fail(`after the definition only ALTER FUNCTION, REVOKE, GRANT or COMMENT ON FUNCTION public.${name}(…) may follow: ${statement}`);
    }
  }
  return {
    name,
    definition: text.slice(start.index, definitionEnd),
    privileges,
    hash: createHash("sha256").update(text).digest("hex"),
  };
}

/**
 * Every file in db/functions, in name order (the order they are applied in). The paths are spelled
 * out in full so that Next.js traces only that folder into the build, not the whole project.
 */
export function readFunctionSources(): FunctionSource[] {
  return readdirSync(path.join(process.cwd(), "db", "functions"))
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((file) => parseFunctionSource(file, readFileSync(path.join(process.cwd(), "db", "functions", file), "utf8")));
}

/** The SQLSTATE of a driver error, also under drizzle's "Failed query" wrapper. */
function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

// 42P13: CREATE OR REPLACE cannot change a function's return type or rename its parameters.
const CANNOT_REPLACE = "42P13";

async function overloads(tx: Tx, name: string): Promise<string[]> {
  const rows = await rawRows<{ signature: string }>(
    tx,
    sql`select format('public.%I(%s)', p.proname, oidvectortypes(p.proargtypes)) as signature from pg_proc p
        where p.pronamespace = 'public'::regnamespace and p.proname = ${name} order by 1`,
  );
  return rows.map((row) => row.signature);
}

async function run(tx: Tx, source: FunctionSource): Promise<void> {
  await tx.execute(sql.raw(source.definition));
  for (const statement of source.privileges) await tx.execute(sql.raw(statement));
}

async function dropAll(tx: Tx, signatures: string[]): Promise<void> {
  // RESTRICT: a trigger, policy or view that uses the old function stops this with PostgreSQL's
  // own message; changing such a signature takes a versioned migration (db/functions/README.md).
  for (const signature of signatures) await tx.execute(sql.raw(`DROP FUNCTION ${signature} RESTRICT`));
}

/**
 * Applies one source. `create or replace` keeps the function's owner and grants. When the
 * signature changed, the old function goes: a new return type fails `create or replace` (the old
 * one is dropped, then it is created again); new parameter types create a second function beside
 * the old one (the old one is dropped after). The file's own privilege statements then restore
 * what a drop lost.
 */
async function applyOne(tx: Tx, source: FunctionSource): Promise<void> {
  const before = await overloads(tx, source.name);
  try {
    // A savepoint: a failed statement would otherwise abort the whole transaction.
    await tx.transaction((savepoint) => run(savepoint, source));
  } catch (error) {
    if (sqlState(error) !== CANNOT_REPLACE || before.length === 0) throw error;
    await dropAll(tx, before);
    await run(tx, source);
    return;
  }
  const after = await overloads(tx, source.name);
  if (after.some((signature) => !before.includes(signature))) await dropAll(tx, before);
}

export interface AppliedFunctions {
  applied: string[];
  unchanged: string[];
}

/**
 * Applies the sources whose file changed since they were last applied (or whose function is
 * missing), in one transaction, and records their hashes. Run it after the versioned migrations,
 * under the migration lock on PostgreSQL. A function whose file was removed is left alone: a
 * versioned migration drops it (a test fails for a keel_* function without a file).
 */
export async function applyFunctionSources(db: Db, sources: FunctionSource[] = readFunctionSources()): Promise<AppliedFunctions> {
  return db.transaction(async (tx) => {
    // In drizzle's schema, beside its own bookkeeping: keel_app has no access there.
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(sql`create table if not exists drizzle.keel_function_sources (
      name text primary key, hash text not null, applied_at timestamptz not null default now())`);
    const recorded = new Map(
      (await rawRows<{ name: string; hash: string }>(tx, sql`select name, hash from drizzle.keel_function_sources`)).map((row) => [row.name, row.hash]),
    );
    const present = new Set(
      (await rawRows<{ name: string }>(tx, sql`select distinct p.proname as name from pg_proc p where p.pronamespace = 'public'::regnamespace`)).map(
        (row) => row.name,
      ),
    );
    const result: AppliedFunctions = { applied: [], unchanged: [] };
    for (const source of sources) {
      if (recorded.get(source.name) === source.hash && present.has(source.name)) {
        result.unchanged.push(source.name);
        continue;
      }
      await applyOne(tx, source);
      await tx.execute(sql`insert into drizzle.keel_function_sources (name, hash) values (${source.name}, ${source.hash})
        on conflict (name) do update set hash = excluded.hash, applied_at = now()`);
      result.applied.push(source.name);
    }
    return result;
  });
}
