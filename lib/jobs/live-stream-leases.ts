// How many /api/live streams one person holds, counted in the database so the cap holds across app
// processes (and the same code serves PGlite, where there is one process). Each open stream is a
// lease row: its process renews it while the stream lives (lib/jobs/live-stream-watch.ts) and
// deletes it on close; the rows of a process that died stop counting when their lease runs out.
import { and, eq, lt, sql } from "drizzle-orm";
import { liveStreams } from "@/db/schema";
import { withUser, type ScopeOptions } from "@/db/scope";
import { KeelError } from "@/lib/errors";

/** Streams one person may hold at once (tabs and windows, every workspace and device together). */
export const MAX_LIVE_STREAMS_PER_USER = 10;
/** A lease outlives a few missed renewals; a crashed process's streams free up after this. */
export const LIVE_STREAM_LEASE_MS = 30_000;

type Options = Pick<ScopeOptions, "db">;

export interface StreamOwner {
  userId: string;
  sessionId: string;
  tenantId: string;
}

/**
 * Takes one of the person's stream slots, or refuses with 429. Admissions of one person are
 * serialised by a transaction-scoped advisory lock, so two processes cannot both take the 10th.
 */
export async function admitLiveStream(owner: StreamOwner, options: Options & { limit?: number } = {}): Promise<string> {
  const limit = options.limit ?? MAX_LIVE_STREAMS_PER_USER;
  return withUser(
    owner.userId,
    async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`keel_live_streams:${owner.userId}`}, 0))`);
      await tx.delete(liveStreams).where(and(eq(liveStreams.userId, owner.userId), lt(liveStreams.expiresAt, sql`now()`)));
      const [held] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(liveStreams)
        .where(eq(liveStreams.userId, owner.userId));
      if (Number(held?.n ?? 0) >= limit) {
        throw new KeelError(
          "rate_limited",
          `You already have ${limit} live connections open (tabs or windows, on this or other devices). Close one, then reload this page.`,
        );
      }
      const [row] = await tx
        .insert(liveStreams)
        .values({ ...owner, expiresAt: sql`now() + ${`${LIVE_STREAM_LEASE_MS} milliseconds`}::interval` })
        .returning({ id: liveStreams.id });
      return row!.id;
    },
    options,
  );
}

/** Gives the slot back when a stream ends. */
export async function releaseLiveStream(userId: string, streamId: string, options: Options = {}): Promise<void> {
  await withUser(userId, (tx) => tx.delete(liveStreams).where(and(eq(liveStreams.id, streamId), eq(liveStreams.userId, userId))), options);
}
