// The time frames the observability figures cover, all derived from one `now`, so a reading is
// reproducible (tests and the alert evaluator pass their own clock).
import { RECENT_BUCKET_MS } from "@/db/schema";
import type { MetricWindow } from "../metric-types";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** The current window of usage-derived figures: twelve five-minute buckets, the last one still filling. */
const RECENT_BUCKETS = 12;
/** Days of history behind each small chart (today, partial, included). */
export const HISTORY_DAYS = 14;

export interface Windows {
  now: Date;
  /** Last 60 minutes (55 to 60, by whole five-minute buckets): error rate, latency, cost per call, … */
  recent: MetricWindow;
  /** Last 24 hours (by whole hours, 23 to 24): cost spike, job durations, answers, completion. */
  day: MetricWindow;
  /** The 7 completed UTC days to yesterday: weekly active users (a partial today would dip every night). */
  week: MetricWindow;
  today: string;
  /** Chart days, oldest first, today last. */
  historyDays: string[];
}

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);
export const addDays = (day: string, days: number): string => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
export const dayStart = (day: string): Date => new Date(`${day}T00:00:00Z`);

export function windowsAt(now: Date): Windows {
  const bucket = Math.floor(now.getTime() / RECENT_BUCKET_MS) * RECENT_BUCKET_MS;
  const to = now.toISOString();
  const today = isoDay(now);
  return {
    now,
    recent: { from: new Date(bucket - (RECENT_BUCKETS - 1) * RECENT_BUCKET_MS).toISOString(), to, label: "last 60 minutes" },
    // Whole hours (answers are counted per hour): the current one and the 23 before it.
    day: { from: new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - 23 * HOUR_MS).toISOString(), to, label: "last 24 hours" },
    week: { from: dayStart(addDays(today, -7)).toISOString(), to: dayStart(today).toISOString(), label: "7 days to yesterday (UTC)" },
    today,
    historyDays: Array.from({ length: HISTORY_DAYS }, (_, i) => addDays(today, i - HISTORY_DAYS + 1)),
  };
}
