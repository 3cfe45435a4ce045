// Weekly active users per feature (and over all features, "*"), as a series of rolling 7-day
// windows, one per end day: a lookup in the counts migration 0015 keeps exactly as actor days arrive.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/types";
import { rawRows } from "@/db/raw-rows";
import { usageWeeklyActives } from "@/db/schema";
import type { TenantFilter } from "./scope";

/** The feature key of "any feature". */
export const ALL_FEATURES = "*";

/** Active actors per feature (and ALL_FEATURES) per window end day, from `firstEnd` to `lastEnd`. */
export async function readWeeklyActive(tx: Tx, filter: TenantFilter, firstEnd: string, lastEnd: string): Promise<Map<string, Map<string, number>>> {
  const w = usageWeeklyActives;
  const rows = await rawRows<{ feature: string; day: string; actors: string | number }>(
    tx,
    sql`select ${w.feature} as feature, ${w.endDay}::text as day, sum(${w.actors}) as actors
        from ${w}
        where ${filter(sql`${w.tenantId}`)} and ${w.endDay} between ${firstEnd}::date and ${lastEnd}::date
        group by 1, 2`,
  );
  const byFeature = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const series = byFeature.get(row.feature) ?? byFeature.set(row.feature, new Map()).get(row.feature)!;
    series.set(row.day, Number(row.actors));
  }
  return byFeature;
}
