// Readiness: can this process serve real work? The database answers, every committed migration is
// applied, and something runs the durable jobs (an Inngest server is configured, or the local
// executor is running in this process). Liveness (/api/health) asks none of this.
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
// The probe reads no tenant data: it needs the engine itself (and the migrator's own schema).
// eslint-disable-next-line no-restricted-imports
import { getDatabase } from "@/db/client";
import { migrationsFolder } from "@/db/migrate";
import { rawRows } from "@/db/raw-rows";
import { log } from "@/core/log";

export interface ReadinessCheck {
  name: "database" | "migrations" | "jobs";
  ok: boolean;
  detail: string;
}

export interface JobRunnerStatus {
  ok: boolean;
  detail: string;
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

function committedMigrations(): number {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
  return journal.entries.length;
}

export async function readinessChecks(jobs: () => Promise<JobRunnerStatus>): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [];
  try {
    const database = await withTimeout(getDatabase(), "the database");
    await withTimeout(database.db.execute(sql`select 1`), "the database");
    checks.push({ name: "database", ok: true, detail: database.kind === "pglite" ? "embedded PGlite" : "PostgreSQL" });
    const rows = await withTimeout(rawRows<{ n: number }>(database.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`), "the database");
    const applied = Number(rows[0]?.n ?? 0);
    const committed = committedMigrations();
    checks.push({
      name: "migrations",
      ok: applied >= committed,
      detail: applied >= committed ? `${applied} applied` : `${applied} of ${committed} applied`,
    });
  } catch (error) {
    log.warn({ err: error }, "readiness: the database is not ready");
    checks.push({ name: "database", ok: false, detail: "unreachable" });
  }
  try {
    const status = await withTimeout(jobs(), "the job runner");
    checks.push({ name: "jobs", ...status });
  } catch (error) {
    log.warn({ err: error }, "readiness: the job runner is not ready");
    checks.push({ name: "jobs", ok: false, detail: "unreachable" });
  }
  return checks;
}
