// Weekly active users per feature (and over all features), as a series of rolling 7-day windows,
// one per end day, from the per-day actor rollup (migration 0015). Each actor-day row counts for the
// window ends it newly covers: from its day (or a week after the actor's previous active day,
// whichever is later) to six days on. So one ordered pass counts distinct actors for every end day
// at once, instead of a distinct count per window.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/engine";
import { rawRows } from "@/db/raw-rows";
import { usageActorDays } from "@/db/schema";
import type { TenantFilter } from "./scope";
import { addDays } from "./windows";

/** The feature key of "any feature". */
export const ALL_FEATURES = "*";

/** Active actors per feature (and ALL_FEATURES) per window end day, from `firstEnd` to `lastEnd`. */
export async function readWeeklyActive(tx: Tx, filter: TenantFilter, firstEnd: string, lastEnd: string): Promise<Map<string, Map<string, number>>> {
  const a = usageActorDays;
  const from = addDays(firstEnd, -6);
  const rows = await rawRows<{ feature: string; day: string; actors: string | number }>(
    tx,
    sql`with days as (
          select ${a.tenantId} as tenant_id, ${a.feature} as feature, ${a.actorId} as actor_id, ${a.day} as day
          from ${a} where ${filter(sql`${a.tenantId}`)} and ${a.day} between ${from}::date and ${lastEnd}::date
        ), marked as (
          select feature, day, lag(day) over (partition by tenant_id, feature, actor_id order by day) as previous from days
          union all
          select ${ALL_FEATURES}, day, lag(day) over (partition by tenant_id, actor_id order by day)
          from (select distinct tenant_id, actor_id, day from days) d
        )
        select m.feature, to_char(m.day + k, 'YYYY-MM-DD') as day, count(*) as actors
        from marked m cross join lateral generate_series(greatest(0, coalesce(m.previous + 7 - m.day, 0)), 6) as k
        where m.day + k between ${firstEnd}::date and ${lastEnd}::date
        group by 1, 2`,
  );
  const byFeature = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const series = byFeature.get(row.feature) ?? byFeature.set(row.feature, new Map()).get(row.feature)!;
    series.set(row.day, Number(row.actors));
  }
  return byFeature;
}
