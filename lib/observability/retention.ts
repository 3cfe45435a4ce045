// How long the observability rollups that grow with traffic are kept. The five-minute buckets feed
// the last-60-minutes and last-24-hours figures only; actor days let a late usage event count its
// person once in the weekly active users of the days after it, which matters for a few days, not
// months. Everything the 14-day charts and the billing read is kept.
import { lt, sql } from "drizzle-orm";
import { usageActorDays, usageRecentRollups } from "@/db/schema";
import type { Db } from "@/db/client";
import { withSystem } from "@/db/scope";

const RECENT_BUCKETS_KEPT_HOURS = 48;
const ACTOR_DAYS_KEPT = 60;

export interface PrunedRollups {
  recentBuckets: number;
  actorDays: number;
}

export function pruneObservabilityRollups(now = new Date(), options: { db?: Db } = {}): Promise<PrunedRollups> {
  const bucketsBefore = new Date(now.getTime() - RECENT_BUCKETS_KEPT_HOURS * 3_600_000);
  const daysBefore = new Date(now.getTime() - ACTOR_DAYS_KEPT * 86_400_000).toISOString().slice(0, 10);
  return withSystem(
    "retention: drop five-minute usage buckets and actor days past their use",
    async (tx) => {
      const recent = await tx
        .delete(usageRecentRollups)
        .where(lt(usageRecentRollups.bucketStart, bucketsBefore))
        .returning({ one: sql<number>`1` });
      const actors = await tx
        .delete(usageActorDays)
        .where(lt(usageActorDays.day, daysBefore))
        .returning({ one: sql<number>`1` });
      return { recentBuckets: recent.length, actorDays: actors.length };
    },
    options,
  );
}
