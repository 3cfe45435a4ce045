// Billing periods are calendar months in UTC, named by their first day ("2026-10-01") in the
// database and by their month ("2026-10") in URLs and files.
import { z } from "zod";
import { formatMonth } from "@/lib/format/dates";

export const periodParamSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "A period is a month, written YYYY-MM.")
  .transform((month) => `${month}-01`);

/** The period (first day, YYYY-MM-DD) that contains `when`. */
export function periodOf(when: Date): string {
  return `${when.toISOString().slice(0, 7)}-01`;
}

export function addMonths(periodStart: string, months: number): string {
  const [year, month] = periodStart.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, month - 1 + months, 1)).toISOString().slice(0, 10);
}

/** "2026-10-01" → "2026-10". */
export const monthOf = (periodStart: string) => periodStart.slice(0, 7);

function daysInPeriod(periodStart: string): number {
  const start = Date.parse(`${periodStart}T00:00:00Z`);
  return Math.round((Date.parse(`${addMonths(periodStart, 1)}T00:00:00Z`) - start) / 86_400_000);
}

/** Every day of the period, YYYY-MM-DD. */
export function daysOf(periodStart: string): string[] {
  const start = Date.parse(`${periodStart}T00:00:00Z`);
  return Array.from({ length: daysInPeriod(periodStart) }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

/** "2026-10-01" → "October 2026". */
export const periodLabel = (periodStart: string) => formatMonth(periodStart);
