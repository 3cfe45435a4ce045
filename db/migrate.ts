// Applies the committed SQL migrations in db/migrations, on either engine, as the owner role.
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Database } from "./engine";

export const migrationsFolder = path.join(process.cwd(), "db", "migrations");

// Any fixed 64-bit number: serialises concurrent start-ups against one PostgreSQL database.
const MIGRATION_LOCK_ID = 7_204_113_001;

export async function applyMigrations(database: Database): Promise<void> {
  if (database.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    // PGlite is single-connection and in-process: nobody else can migrate concurrently.
    await migrate(database.db as Parameters<typeof migrate>[0], { migrationsFolder });
    return;
  }
  const { migrate } = await import("drizzle-orm/postgres-js/migrator");
  await database.db.transaction(async (tx) => {
    // Transaction-scoped advisory lock: released on commit, held while this instance migrates.
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    await migrate(database.db as Parameters<typeof migrate>[0], { migrationsFolder });
  });
}
