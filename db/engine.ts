// Opens one of the two engines behind Keel: PostgreSQL through postgres.js, or embedded PGlite
// (PostgreSQL compiled to WASM, with pgvector) in-process. Same schema, migrations and queries.
import { mkdirSync } from "node:fs";
import path from "node:path";
import * as schema from "./schema";
import { applyMigrations } from "./migrate";
import { acquireDataDirLock } from "./data-dir-lock";
import type { Database, Db, EngineConfig } from "./types";

export async function openDatabase(config: EngineConfig): Promise<Database> {
  const database = config.kind === "postgres" ? await openPostgres(config.url, config.maxConnections) : await openPglite(config.dataDir);
  try {
    await applyMigrations(database, config);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

type PostgresClient = import("postgres").Sql;
type TransactionClient = import("postgres").TransactionSql;

/**
 * Drizzle runs every query through postgres.js's `unsafe()` with `prepare: false`, and postgres.js
 * then spends a round trip of its own asking the server for the parameter types before every query
 * that has parameters. With statements prepared (named, cached per connection: postgres.js's own
 * default) each query is one round trip, which halves the database waits of every request.
 * Transactions get the same treatment for the queries inside them.
 */
function withPreparedStatements<T extends PostgresClient | TransactionClient>(client: T): T {
  return new Proxy(client, {
    get(target, property) {
      if (property === "unsafe") {
        return (query: string, args?: unknown[], options?: Record<string, unknown>) => target.unsafe(query, args as never, { ...options, prepare: true });
      }
      if (property === "begin" || property === "savepoint") {
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: TransactionClient) => unknown;
          const open = Reflect.get(target, property) as (...a: unknown[]) => Promise<unknown>;
          return open.call(target, ...args, (tx: TransactionClient) => fn(withPreparedStatements(tx)));
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function openPostgres(url: string, maxConnections = 10): Promise<Database> {
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const client = postgres(url, {
    max: maxConnections,
    onnotice: () => {},
    connect_timeout: 10,
    // Seconds before reconnecting after a failure. postgres.js's default grows to 20 s within a few
    // failed attempts, so after a short outage every request would wait that long: cap it at 2 s.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 2),
  });
  const db: Db = drizzle(withPreparedStatements(client), { schema });
  const parsed = new URL(url);
  return {
    db,
    kind: "postgres",
    description: `PostgreSQL ${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`,
    listen: async (channel, onMessage, onListen) => void (await client.listen(channel, onMessage, onListen)),
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { vector } = await import("@electric-sql/pglite-pgvector");
  // btree_gin: the tenant-first full-text index (migration 0060).
  const { btree_gin } = await import("@electric-sql/pglite/contrib/btree_gin");
  const { drizzle } = await import("drizzle-orm/pglite");
  const inMemory = dataDir.startsWith("memory://");
  // PGlite takes no lock of its own: two processes on one data dir silently corrupt it.
  const releaseLock = inMemory ? () => {} : acquireDataDirLock(dataDir);
  if (!inMemory) mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
  try {
    const client = await PGlite.create({ dataDir, extensions: { vector, btree_gin } });
    const db: Db = drizzle(client, { schema });
    return {
      db,
      kind: "pglite",
      description: inMemory ? "embedded PGlite (in memory)" : `embedded PGlite at ${path.relative(process.cwd(), path.resolve(dataDir)) || dataDir}`,
      listen: async (channel, onMessage, onListen) => {
        await client.listen(channel, onMessage);
        onListen?.();
      },
      close: async () => {
        await client.close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}
