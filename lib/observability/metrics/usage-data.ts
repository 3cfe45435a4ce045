// The usage figures every layer reads, fetched once per report: the daily rollups for the charts
// (and the cost baseline) and the five-minute rollups for the current windows (migration 0015),
// both summed per provider in SQL, so the rows that reach Node are a few dozen whatever the number
// of events.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/types";
import { rawRows } from "@/db/raw-rows";
import { usageProviderDays, usageRecentRollups } from "@/db/schema";
import type { TenantFilter } from "./scope";
import { addDays, type Windows } from "./windows";

export interface UsageSums {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
  cacheHits: number;
  fallbackCalls: number;
  validationPass: number;
  validationRepaired: number;
  validationFailed: number;
  latencyBuckets: number[];
  latencyMsMax: number;
}

export interface UsageData {
  /** Per day (UTC) and provider, from HISTORY + BASELINE days ago to today. */
  daily: (UsageSums & { day: string; provider: string })[];
  /** Per provider: the current (60-minute) window. */
  recent: (UsageSums & { provider: string })[];
  /** Per provider: the last 24 hours. */
  lastDay: (UsageSums & { provider: string })[];
}

/** Days before the charts' first day the cost baseline looks back (a median of 7 days). */
export const BASELINE_DAYS = 7;
const BUCKETS = 11;

const emptySums = (): UsageSums => ({
  requests: 0,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
  costMicroUsd: 0,
  cacheHits: 0,
  fallbackCalls: 0,
  validationPass: 0,
  validationRepaired: 0,
  validationFailed: 0,
  latencyBuckets: Array<number>(BUCKETS).fill(0),
  latencyMsMax: 0,
});

function addSums(into: UsageSums, row: UsageSums): UsageSums {
  for (const key of Object.keys(into) as (keyof UsageSums)[]) {
    if (key === "latencyBuckets") into.latencyBuckets = into.latencyBuckets.map((n, i) => n + (row.latencyBuckets[i] ?? 0));
    else if (key === "latencyMsMax") into.latencyMsMax = Math.max(into.latencyMsMax, row.latencyMsMax);
    else into[key] += row[key];
  }
  return into;
}

export const sumAll = (rows: readonly UsageSums[]): UsageSums => rows.reduce(addSums, emptySums());

type SumRow = Record<Exclude<keyof UsageSums, "latencyBuckets">, string | number> & Record<`b${number}`, string | number>;

function toSums(row: SumRow): UsageSums {
  return {
    requests: Number(row.requests),
    errors: Number(row.errors),
    inputTokens: Number(row.inputTokens),
    outputTokens: Number(row.outputTokens),
    costMicroUsd: Number(row.costMicroUsd),
    cacheHits: Number(row.cacheHits),
    fallbackCalls: Number(row.fallbackCalls),
    validationPass: Number(row.validationPass),
    validationRepaired: Number(row.validationRepaired),
    validationFailed: Number(row.validationFailed),
    latencyBuckets: Array.from({ length: BUCKETS }, (_, i) => Number(row[`b${i}`])),
    latencyMsMax: Number(row.latencyMsMax),
  };
}

// Postgres arrays are 1-based: b0 is latency_buckets[1].
const bucketSums = sql.raw(Array.from({ length: BUCKETS }, (_, i) => `sum(latency_buckets[${i + 1}]) as b${i}`).join(", "));

/** The same sums over either usage rollup (their counter columns are the same). */
const sums = (t: typeof usageProviderDays | typeof usageRecentRollups) =>
  sql`sum(${t.requests}) as requests, sum(${t.errors}) as errors, sum(${t.inputTokens}) as "inputTokens",
      sum(${t.outputTokens}) as "outputTokens", sum(${t.costMicroUsd}) as "costMicroUsd", sum(${t.cacheHits}) as "cacheHits",
      sum(${t.fallbackCalls}) as "fallbackCalls", sum(${t.validationPass}) as "validationPass",
      sum(${t.validationRepaired}) as "validationRepaired", sum(${t.validationFailed}) as "validationFailed",
      max(${t.latencyMsMax}) as "latencyMsMax", ${bucketSums}`;

export async function readUsageData(tx: Tx, filter: TenantFilter, windows: Windows): Promise<UsageData> {
  const firstDay = addDays(windows.historyDays[0]!, -BASELINE_DAYS);
  const r = usageProviderDays;
  const daily = await rawRows<SumRow & { day: string; provider: string }>(
    tx,
    sql`select ${r.day}::text as day, ${r.provider} as provider, ${sums(r)}
        from ${r}
        where ${filter(sql`${r.tenantId}`)} and ${r.day} >= ${firstDay}::date
        group by ${r.day}, ${r.provider}`,
  );
  const q = usageRecentRollups;
  const recent = await rawRows<SumRow & { provider: string; inWindow: boolean }>(
    tx,
    sql`select ${q.provider} as provider, ${q.bucketStart} >= ${windows.recent.from}::timestamptz as "inWindow", ${sums(q)}
        from ${q}
        where ${filter(sql`${q.tenantId}`)} and ${q.bucketStart} >= ${windows.day.from}::timestamptz and ${q.bucketStart} <= ${windows.now.toISOString()}::timestamptz
        group by 1, 2`,
  );
  const lastDay = new Map<string, UsageSums>();
  for (const row of recent) addSums((lastDay.get(row.provider) ?? lastDay.set(row.provider, emptySums()).get(row.provider))!, toSums(row));
  return {
    daily: daily.map((row) => ({ ...toSums(row), day: row.day, provider: row.provider })),
    recent: recent.filter((row) => row.inWindow).map((row) => ({ ...toSums(row), provider: row.provider })),
    lastDay: [...lastDay].map(([provider, sums]) => ({ ...sums, provider })),
  };
}

/** Daily sums over every provider (or one), one entry per chart day, zeros included. */
export function dailySums(data: UsageData, days: readonly string[], provider?: string): Map<string, UsageSums> {
  const byDay = new Map(days.map((day) => [day, emptySums()]));
  for (const row of data.daily) {
    if (provider !== undefined && row.provider !== provider) continue;
    const sums = byDay.get(row.day);
    if (sums) addSums(sums, row);
  }
  return byDay;
}
