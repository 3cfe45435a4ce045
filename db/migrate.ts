// Applies the committed SQL migrations in db/migrations, then the SQL functions in db/functions
// (db/function-sources.ts), on either engine, as the owner role.
import path from "node:path";
import { applyFunctionSources } from "./function-sources";
import * as schema from "./schema";
import type { Database, EngineConfig } from "./types";

export const migrationsFolder = path.join(process.cwd(), "db", "migrations");

// Any fixed 64-bit number: serialises concurrent start-ups against one PostgreSQL database.
const MIGRATION_LOCK_ID = 7_204_113_001;

export async function applyMigrations(database: Database, config: EngineConfig): Promise<void> {
  if (config.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    // PGlite is single-connection and in-process: nobody else can migrate concurrently.
    await migrate(database.db as Parameters<typeof migrate>[0], { migrationsFolder });
    await applyFunctionSources(database.db);
    return;
  }
  // A connection of its own, outside the app's pool: the lock is held on this session while the
  // migrator runs its transaction on it, so even a pool of one connection never waits for itself.
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const { migrate } = await import("drizzle-orm/postgres-js/migrator");
  const connection = postgres(config.url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await connection`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    try {
      const db = drizzle(connection, { schema });
      await migrate(db, { migrationsFolder });
      // Still under the lock: two start-ups never replace the same function at once.
      await applyFunctionSources(db);
    } finally {
      await connection`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    }
  } finally {
    await connection.end({ timeout: 5 });
  }
}
