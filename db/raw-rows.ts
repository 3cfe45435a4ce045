import type { SQL } from "drizzle-orm";
import type { Db, Tx } from "./types";

/** Rows of a raw SQL query on either engine (postgres.js returns an array, PGlite `{ rows }`). */
export async function rawRows<T>(runner: Db | Tx, query: SQL): Promise<T[]> {
  const result: unknown = await runner.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
