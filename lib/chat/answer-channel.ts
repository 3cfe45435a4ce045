// How a streaming answer is followed across app processes. The process writing an answer keeps its
// text in memory and tells its own followers of every delta at once; it also saves the text every
// few hundred milliseconds and announces each save on `keel_chat` (inside the saving transaction),
// so a follower in another process re-reads the row and shows the new tail. Stop requests travel on
// the same channel to whichever process writes the answer.
import { sql } from "drizzle-orm";
import { z } from "zod";
import { subscribeToChannel } from "@/db/channels";
import type { Tx } from "@/db/client";
import { log } from "@/core/log";
import { processSingleton } from "@/core/process-singleton";

const CHAT_CHANNEL = "keel_chat";

const chatSignalSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("saved"), messageId: z.uuid(), length: z.number().int(), done: z.boolean() }),
  z.object({ type: z.literal("stop"), messageId: z.uuid() }),
]);
export type ChatSignal = z.infer<typeof chatSignalSchema>;

export async function announce(tx: Tx, signal: ChatSignal): Promise<void> {
  await tx.execute(sql`select pg_notify(${CHAT_CHANNEL}, ${JSON.stringify(signal)})`);
}

type Listener = (signal: ChatSignal) => void;
const listeners = processSingleton("chat:listeners", () => new Set<Listener>());
const subscribed = processSingleton("chat:subscribed", () => ({ promise: null as Promise<unknown> | null }));

/** Hears every chat signal in this process (one LISTEN shared by all). Returns the unsubscribe. */
export async function onChatSignal(listener: Listener): Promise<() => void> {
  listeners.add(listener);
  subscribed.promise ??= subscribeToChannel(CHAT_CHANNEL, {
    onMessage(payload) {
      let parsed;
      try {
        parsed = chatSignalSchema.safeParse(JSON.parse(payload));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) return void log.warn({ channel: CHAT_CHANNEL }, "ignored a malformed chat signal");
      for (const l of listeners) l(parsed.data);
    },
  });
  await subscribed.promise;
  return () => void listeners.delete(listener);
}
