// Cache invalidation across processes (the production server's workers, or several servers on
// one database). A change announces itself with NOTIFY inside its own transaction, so it is heard
// only if it commits; every listening process, this one included, then drops its copy.
import { sql } from "drizzle-orm";
import { getDatabase } from "./client";
import type { Database, Tx } from "./engine";

const CHANNEL = "keel_invalidate";

export type InvalidationTopic = "api_key" | "tenant_profile";

interface Listeners {
  handlers: Map<InvalidationTopic, Set<(key: string) => void>>;
  /** The database this process listens on (tests close and reopen it). */
  database?: Database;
  listening?: Promise<void>;
}

// One LISTEN per process, whatever number of module instances Next.js loads.
const holder = globalThis as typeof globalThis & { __keelInvalidation?: Listeners };
const listeners: Listeners = (holder.__keelInvalidation ??= { handlers: new Map() });

/** Tells every process to drop `key` from its `topic` cache once the transaction commits. */
export async function announceInvalidation(tx: Tx, topic: InvalidationTopic, key: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${CHANNEL}, ${`${topic}:${key}`})`);
}

function dispatch(payload: string): void {
  const separator = payload.indexOf(":");
  const topic = payload.slice(0, separator) as InvalidationTopic;
  for (const handler of listeners.handlers.get(topic) ?? []) handler(payload.slice(separator + 1));
}

/** Calls `handler(key)` for every announcement on `topic` heard by this process. */
export function onInvalidation(topic: InvalidationTopic, handler: (key: string) => void): void {
  const set = listeners.handlers.get(topic) ?? new Set();
  set.add(handler);
  listeners.handlers.set(topic, set);
}

/**
 * Makes sure this process listens. Await it before filling a cache from the database: an entry
 * read after this resolves cannot miss the announcement of a later change.
 */
export async function listenForInvalidations(): Promise<void> {
  const database = await getDatabase();
  if (listeners.database !== database) {
    listeners.database = database;
    listeners.listening = database.listen(CHANNEL, dispatch).catch((error: unknown) => {
      listeners.database = undefined;
      throw error;
    });
  }
  await listeners.listening;
}
