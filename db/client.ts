// The process-wide database: PostgreSQL when DATABASE_URL is set, else embedded PGlite under .data/.
import { openDatabase } from "./engine";
import type { Database, Db, EngineConfig } from "./types";

export type { Database, Db, Tx } from "./types";

const DEFAULT_PGLITE_DIR = ".data/pglite";

export function engineConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const url = env.DATABASE_URL?.trim();
  if (url) return { kind: "postgres", url, maxConnections: Number(env.DATABASE_POOL_SIZE ?? 10) };
  return { kind: "pglite", dataDir: env.KEEL_DATA_DIR?.trim() || DEFAULT_PGLITE_DIR };
}

// Kept on globalThis: Next.js gives route handlers and pages separate module instances in one
// process, and hot reloads re-evaluate modules; a second PGlite on the same dir would corrupt it.
const holder = globalThis as typeof globalThis & { __keelDatabase?: Promise<Database> };

/** Opens lazily (never at build time) and applies migrations on first use. */
export function getDatabase(): Promise<Database> {
  if (!holder.__keelDatabase) {
    holder.__keelDatabase = openDatabase(engineConfigFromEnv()).catch((error: unknown) => {
      holder.__keelDatabase = undefined;
      throw error;
    });
  }
  return holder.__keelDatabase;
}

export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}

/** For tests and scripts: close the process-wide database so the next call reopens. */
export async function closeDatabase(): Promise<void> {
  const pending = holder.__keelDatabase;
  holder.__keelDatabase = undefined;
  if (pending) await (await pending).close();
}
