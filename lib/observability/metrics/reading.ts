// Small helpers every layer builds its readings with: the state always comes from stateFor, so
// the page and the alert evaluator can never disagree about a threshold.
import { stateFor, type MetricPoint, type MetricReading } from "../metric-types";

export function reading(fields: Omit<MetricReading, "state">): MetricReading {
  return { ...fields, state: stateFor(fields.value, fields.threshold) };
}

export const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

export const points = (days: readonly string[], valueOf: (day: string) => number | null): MetricPoint[] =>
  days.map((day) => ({ at: `${day}T00:00:00.000Z`, value: valueOf(day) }));

const number = new Intl.NumberFormat("en");
export const count = (n: number): string => number.format(n);

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
