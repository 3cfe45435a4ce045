// Cache invalidation across processes (the production server's workers, or several servers on
// one database). A change announces itself with NOTIFY inside its own transaction, so it is heard
// only if it commits; every listening process, this one included, then drops its copy.
import { sql } from "drizzle-orm";
import { getDatabase } from "./client";
import type { Database, Tx } from "./types";
import { log } from "@/core/log";

const CHANNEL = "keel_invalidate";

export type InvalidationTopic = "api_key" | "tenant_profile";

/** Called with the key to drop, or null to drop everything (announcements may have been missed). */
export type InvalidationHandler = (key: string | null) => void;

interface Listeners {
  handlers: Map<InvalidationTopic, Set<InvalidationHandler>>;
  /** Bumped by every announcement heard on a topic: see invalidationEpoch. */
  epochs: Map<InvalidationTopic, number>;
  /** The database this process listens on (tests close and reopen it). */
  database?: Database;
  listening?: Promise<void>;
}

// One LISTEN per process, whatever number of module instances Next.js loads.
const holder = globalThis as typeof globalThis & { __keelInvalidation?: Listeners };
const listeners: Listeners = (holder.__keelInvalidation ??= { handlers: new Map(), epochs: new Map() });

/** Tells every process to drop `key` from its `topic` cache once the transaction commits. */
export async function announceInvalidation(tx: Tx, topic: InvalidationTopic, key: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${CHANNEL}, ${`${topic}:${key}`})`);
}

function deliver(topic: InvalidationTopic, key: string | null): void {
  listeners.epochs.set(topic, (listeners.epochs.get(topic) ?? 0) + 1);
  for (const handler of listeners.handlers.get(topic) ?? []) handler(key);
}

function dispatch(payload: string): void {
  const separator = payload.indexOf(":");
  deliver(payload.slice(0, separator) as InvalidationTopic, payload.slice(separator + 1));
}

/** After a (re)connect, announcements made while not listening are unknown: drop everything. */
function dropEverything(): void {
  for (const topic of listeners.handlers.keys()) deliver(topic, null);
}

/**
 * A number that changes whenever `topic` hears an announcement. A cache compares it before and
 * after reading the database, and keeps what it read only if unchanged: otherwise a change may
 * have landed during the read, and the value may already be stale.
 */
export function invalidationEpoch(topic: InvalidationTopic): number {
  return listeners.epochs.get(topic) ?? 0;
}

/** Calls `handler(key)` for every announcement on `topic` heard by this process. */
export function onInvalidation(topic: InvalidationTopic, handler: InvalidationHandler): void {
  const set = listeners.handlers.get(topic) ?? new Set();
  set.add(handler);
  listeners.handlers.set(topic, set);
}

/** How long a cache fill waits for LISTEN to start before going ahead (the entry lifetime still bounds staleness). */
const LISTEN_WAIT_MS = 2_000;

/**
 * Makes sure this process listens. Await it before filling a cache from the database: an entry
 * read after this resolves cannot miss the announcement of a later change. LISTEN is registered
 * once per database and never retried here: postgres.js re-listens by itself after a reconnect
 * (and a failed first attempt), calling dropEverything each time it succeeds.
 */
export async function listenForInvalidations(): Promise<void> {
  const database = await getDatabase();
  if (listeners.database !== database) {
    listeners.database = database;
    let started!: () => void;
    listeners.listening = new Promise<void>((resolve) => (started = resolve));
    const onListen = () => {
      dropEverything();
      started();
    };
    database
      .listen(CHANNEL, dispatch, onListen)
      .catch((error: unknown) => log.error({ err: error }, "LISTEN for cache invalidation failed; the connection will retry"));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([listeners.listening, new Promise<void>((resolve) => (timer = setTimeout(resolve, LISTEN_WAIT_MS)))]);
  clearTimeout(timer);
}
