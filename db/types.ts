// The database's types, apart from the engine that opens it, so the migrator and the channels
// can name them without importing the engine (which imports the migrator).
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema";

type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export type EngineConfig =
  | { kind: "postgres"; url: string; maxConnections?: number }
  /** `dataDir` "memory://" keeps everything in memory (tests). */
  | { kind: "pglite"; dataDir: string };

export interface Database {
  db: Db;
  kind: EngineConfig["kind"];
  /** Human-readable, without credentials: for the start-up banner and logs. */
  description: string;
  /**
   * LISTEN on a channel. postgres.js keeps a dedicated connection and listens again after a drop;
   * `onListen` runs each time it (re)starts listening, since notifications in between are lost.
   */
  listen(channel: string, onMessage: (payload: string) => void, onListen?: () => void): Promise<void>;
  close(): Promise<void>;
}
