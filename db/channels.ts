// Postgres LISTEN for app-level messages (job progress, notifications): one LISTEN per channel
// per process, shared by every subscriber in it. postgres.js listens again by itself after a lost
// connection; `onListen` tells subscribers each time, since messages in between are lost and they
// should re-read what they show. On PGlite, NOTIFY is delivered in-process.
import { getDatabase } from "./client";
import type { Database } from "./types";
import { log } from "@/core/log";

export interface ChannelSubscriber {
  onMessage(payload: string): void;
  /** Called when (re)listening started: messages sent before it may have been missed. */
  onListen?(): void;
}

interface Channel {
  database: Database;
  subscribers: Set<ChannelSubscriber>;
  listening: Promise<void>;
}

const holder = globalThis as typeof globalThis & { __keelChannels?: Map<string, Channel> };
const channels = (holder.__keelChannels ??= new Map());

/** Subscribes to `channel`; resolves once this process listens on it. Returns the unsubscribe. */
export async function subscribeToChannel(name: string, subscriber: ChannelSubscriber): Promise<() => void> {
  const database = await getDatabase();
  let channel = channels.get(name);
  if (!channel || channel.database !== database) {
    const subscribers = new Set<ChannelSubscriber>(channel?.subscribers ?? []);
    let started!: () => void;
    const listening = new Promise<void>((resolve) => (started = resolve));
    channel = { database, subscribers, listening };
    channels.set(name, channel);
    database
      .listen(
        name,
        (payload) => {
          for (const s of subscribers) s.onMessage(payload);
        },
        () => {
          started();
          for (const s of subscribers) s.onListen?.();
        },
      )
      .catch((error: unknown) => log.error({ err: error, channel: name }, "LISTEN failed; the connection will retry"));
  }
  channel.subscribers.add(subscriber);
  await channel.listening;
  const subscribers = channel.subscribers;
  return () => void subscribers.delete(subscriber);
}
