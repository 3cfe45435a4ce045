// Ends a person's open /api/live streams soon after they lose the right to them: removed from the
// workspace, left it, or signed out (session revoked). One timer per person per process checks all
// of that person's streams in one transaction every WATCH_INTERVAL_MS, and renews their leases, so
// the cost does not grow with the number of messages (nothing runs per message) and grows with
// streams only by the ids in one query.
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { liveStreams, memberships, userSessions } from "@/db/schema";
import { withUser } from "@/db/scope";
import { log } from "@/core/log";
import { LIVE_STREAM_LEASE_MS } from "./live-stream-leases";

/** A stream ends at most this long (plus one query) after its person's rights went. */
const WATCH_INTERVAL_MS = 2_000;
/** Renew leases every few checks: well within LIVE_STREAM_LEASE_MS, without a write every tick. */
const RENEW_EVERY_TICKS = 5;

export interface WatchedStream {
  streamId: string;
  tenantId: string;
  sessionId: string;
  /** Ends the stream, telling the browser why. */
  end(reason: string): void;
}

interface PersonWatch {
  streams: Map<string, WatchedStream>;
  timer: ReturnType<typeof setInterval>;
  ticks: number;
  checking: boolean;
}

const holder = globalThis as typeof globalThis & { __keelLiveWatches?: Map<string, PersonWatch> };
const watches = (holder.__keelLiveWatches ??= new Map());

export const removedReason = "You are no longer a member of this workspace.";
export const signedOutReason = "You were signed out.";

async function check(userId: string, watch: PersonWatch): Promise<void> {
  const streams = [...watch.streams.values()];
  if (streams.length === 0) return;
  const renew = ++watch.ticks % RENEW_EVERY_TICKS === 0;
  const sessionIds = [...new Set(streams.map((s) => s.sessionId))];
  const { tenants, sessions } = await withUser(userId, async (tx) => {
    const memberOf = await tx.select({ tenantId: memberships.tenantId }).from(memberships).where(eq(memberships.userId, userId));
    const active = await tx
      .select({ id: userSessions.id })
      .from(userSessions)
      .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), inArray(userSessions.id, sessionIds)));
    if (renew) {
      await tx
        .update(liveStreams)
        .set({ expiresAt: sql`now() + ${`${LIVE_STREAM_LEASE_MS} milliseconds`}::interval` })
        .where(
          and(
            eq(liveStreams.userId, userId),
            inArray(
              liveStreams.id,
              streams.map((s) => s.streamId),
            ),
          ),
        );
    }
    return { tenants: new Set(memberOf.map((m) => m.tenantId)), sessions: new Set(active.map((s) => s.id)) };
  });
  for (const stream of streams) {
    if (!sessions.has(stream.sessionId)) stream.end(signedOutReason);
    else if (!tenants.has(stream.tenantId)) stream.end(removedReason);
  }
}

/** Starts watching a stream; returns the function that stops (call it when the stream ends). */
export function watchLiveStream(userId: string, stream: WatchedStream): () => void {
  let watch = watches.get(userId);
  if (!watch) {
    const created: PersonWatch = {
      streams: new Map(),
      ticks: 0,
      checking: false,
      timer: setInterval(() => {
        // A slow database must not pile checks up: skip a tick while one is still running.
        if (created.checking) return;
        created.checking = true;
        check(userId, created)
          .catch((error: unknown) => log.warn({ err: error, userId }, "live: could not re-check a person's streams; trying again"))
          .finally(() => (created.checking = false));
      }, WATCH_INTERVAL_MS),
    };
    // Never what keeps a process (or a test run) alive.
    created.timer.unref?.();
    watches.set(userId, created);
    watch = created;
  }
  watch.streams.set(stream.streamId, stream);
  const owned = watch;
  return () => {
    owned.streams.delete(stream.streamId);
    if (owned.streams.size === 0 && watches.get(userId) === owned) {
      clearInterval(owned.timer);
      watches.delete(userId);
    }
  };
}
