// Where the current period is heading at the pace so far: a straight-line projection of spend to
// the period's end, the day a limit would be reached, and the cumulative series the quota chart
// draws (actual up to now, projected after).
import { addMonths, daysOf } from "@/lib/billing/periods";

export interface Pace {
  periodStart: string;
  now: Date;
  used: number;
  limit: number | null;
  softLimitPercent: number;
}

export interface Projection {
  /** Projected total at the end of the period. */
  atPeriodEnd: number;
  /** The day (UTC) the hard and soft limits are or would be reached within the period; null: not within it. */
  limitDay: string | null;
  softLimitDay: string | null;
}

const MIN_ELAPSED_MS = 3_600_000; // an hour into a period, one call does not project a month of them

function bounds(periodStart: string) {
  return { start: Date.parse(`${periodStart}T00:00:00Z`), end: Date.parse(`${addMonths(periodStart, 1)}T00:00:00Z`) };
}

/** Usage per millisecond so far (0 before the period starts). */
function rate(pace: Pace): number {
  const { start } = bounds(pace.periodStart);
  const elapsed = Math.max(MIN_ELAPSED_MS, pace.now.getTime() - start);
  return pace.used / elapsed;
}

function dayReached(pace: Pace, threshold: number | null): string | null {
  if (threshold === null) return null;
  const { end } = bounds(pace.periodStart);
  if (pace.used >= threshold) return pace.now.toISOString().slice(0, 10);
  const perMs = rate(pace);
  if (perMs <= 0) return null;
  const when = pace.now.getTime() + (threshold - pace.used) / perMs;
  return when < end ? new Date(when).toISOString().slice(0, 10) : null;
}

export function project(pace: Pace): Projection {
  const { end } = bounds(pace.periodStart);
  const remaining = Math.max(0, end - pace.now.getTime());
  return {
    atPeriodEnd: Math.round(pace.used + rate(pace) * remaining),
    limitDay: dayReached(pace, pace.limit),
    softLimitDay: dayReached(pace, pace.limit === null ? null : (pace.limit * pace.softLimitPercent) / 100),
  };
}

export interface CumulativePoint {
  day: string;
  /** Used up to the end of this day; null after today. */
  actual: number | null;
  /** Projected; null before today (today carries both, so the lines meet). */
  projected: number | null;
}

/**
 * Running totals per day of the period from per-day amounts. For the current period the days after
 * today are projected at the pace so far; a past period is all actual.
 */
export function cumulativeSeries(periodStart: string, perDay: Map<string, number>, now: Date, isCurrent: boolean): CumulativePoint[] {
  const today = now.toISOString().slice(0, 10);
  let running = 0;
  for (const [day, amount] of perDay) if (day < periodStart) running += amount; // late events count from the start
  const points: CumulativePoint[] = [];
  for (const day of daysOf(periodStart)) {
    if (isCurrent && day > today) break;
    running += perDay.get(day) ?? 0;
    points.push({ day, actual: running, projected: isCurrent && day === today ? running : null });
  }
  if (!isCurrent) return points;
  const perMs = rate({ periodStart, now, used: running, limit: null, softLimitPercent: 100 });
  for (const day of daysOf(periodStart)) {
    if (day <= today) continue;
    const endOfDay = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
    points.push({ day, actual: null, projected: Math.round(running + perMs * (endOfDay - now.getTime())) });
  }
  return points;
}
