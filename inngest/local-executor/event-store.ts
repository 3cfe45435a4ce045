// Events in the local executor's queue: stored as sent (an event id sent twice is stored once, as
// Inngest deduplicates by id), then routed by whichever executor takes them first.
import { and, asc, inArray, isNull, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { localExecutorEvents, type LocalEvent } from "@/db/schema";
import { withSystem } from "@/db/scope";

/** Executors LISTEN here; a NOTIFY says there is new work (an event, a run that became due). */
export const LOCAL_EXECUTOR_CHANNEL = "keel_local_executor";

export async function notifyExecutors(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_notify(${LOCAL_EXECUTOR_CHANNEL}, 'work')`);
}

export async function insertEvents(tx: Tx, events: LocalEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx
    .insert(localExecutorEvents)
    .values(events.map((event) => ({ id: event.id, name: event.name, payload: event })))
    .onConflictDoNothing();
  await notifyExecutors(tx);
}

export function enqueueEvents(events: LocalEvent[]): Promise<void> {
  return withSystem("local executor: store sent events", (tx) => insertEvents(tx, events));
}

/** The oldest events nobody has routed yet, locked for this transaction (others skip them). */
export function takeUnroutedEvents(tx: Tx, limit: number) {
  return tx
    .select({ id: localExecutorEvents.id, payload: localExecutorEvents.payload, receivedAt: localExecutorEvents.receivedAt })
    .from(localExecutorEvents)
    .where(isNull(localExecutorEvents.routedAt))
    .orderBy(asc(localExecutorEvents.receivedAt), asc(localExecutorEvents.id))
    .limit(limit)
    .for("update", { skipLocked: true });
}

export async function markRouted(tx: Tx, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(localExecutorEvents)
    .set({ routedAt: now })
    .where(and(inArray(localExecutorEvents.id, ids), isNull(localExecutorEvents.routedAt)));
}
