// Retention: the nightly prune drops five-minute usage buckets older than 48 hours and actor days
// older than 60 days, through the system path only, and keeps the daily sums the charts and bills
// read. The events are dated 1990 and the prune's clock set just after, so nothing of the other
// test files sharing the database is touched.
import { and, eq, gte, lt } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { usageActorDays, usageProviderDays, usageRecentRollups } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { createTenant } from "@/test/fixtures";
import { insertEvents, makeEvents } from "@/test/usage-events";
import { pruneObservabilityRollups } from "./retention";

describe("observability retention", () => {
  it("drops old five-minute buckets and actor days, keeps recent ones and every daily sum; tenants cannot delete", async () => {
    const owner = await createTenant("Retention");
    const actors = { userIds: [owner.userId], apiKeyIds: [null] };
    await insertEvents(owner.tenantId, [
      ...makeEvents(owner.tenantId, 60, "1990-01-01T00:00:00Z", "1990-01-10T00:00:00Z", actors, 41),
      ...makeEvents(owner.tenantId, 60, "1990-03-19T00:00:00Z", "1990-03-20T00:00:00Z", actors, 42),
    ]);
    const read = () =>
      withTenant(owner.tenantId, async (tx) => ({
        oldBuckets: (
          await tx
            .select()
            .from(usageRecentRollups)
            .where(lt(usageRecentRollups.bucketStart, new Date("1990-03-18T00:00:00Z")))
        ).length,
        newBuckets: (
          await tx
            .select()
            .from(usageRecentRollups)
            .where(gte(usageRecentRollups.bucketStart, new Date("1990-03-18T00:00:00Z")))
        ).length,
        oldActorDays: (await tx.select().from(usageActorDays).where(lt(usageActorDays.day, "1990-01-19"))).length,
        newActorDays: (await tx.select().from(usageActorDays).where(gte(usageActorDays.day, "1990-01-19"))).length,
        dailySums: await tx.select().from(usageProviderDays).where(eq(usageProviderDays.tenantId, owner.tenantId)),
      }));
    const before = await read();
    expect(before.oldBuckets).toBeGreaterThan(0);
    expect(before.oldActorDays).toBeGreaterThan(0);

    // A tenant's own scope may not delete rollups (they are written by triggers only).
    await expect(
      withTenant(owner.tenantId, (tx) => tx.delete(usageRecentRollups).where(and(eq(usageRecentRollups.tenantId, owner.tenantId)))),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/permission denied/) } });

    const pruned = await pruneObservabilityRollups(new Date("1990-03-20T00:00:00Z"));
    expect(pruned).toEqual({ recentBuckets: before.oldBuckets, actorDays: before.oldActorDays });
    const after = await read();
    expect(after).toEqual({ ...before, oldBuckets: 0, oldActorDays: 0 });
  });
});
