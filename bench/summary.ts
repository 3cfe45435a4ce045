// Each benchmark's headline figures as a small JSON file, for `npm run bench` (bench/all.ts) to
// gather into one table: written only when BENCH_SUMMARY_FILE names the file.
import { writeFileSync } from "node:fs";
import { z } from "zod";

export const benchFigureSchema = z.object({
  measure: z.string(),
  /** As printed, with its unit. */
  figure: z.string(),
  /** The target it is held to, or "—" when none is set. */
  target: z.string(),
  /** null: no target to meet. */
  met: z.boolean().nullable(),
});
export const benchSummarySchema = z.object({
  bench: z.string(),
  /** The settings the figures were taken at (sizes, rounds). */
  settings: z.string(),
  figures: z.array(benchFigureSchema),
});
export type BenchFigure = z.infer<typeof benchFigureSchema>;

export function writeBenchSummary(bench: string, figures: BenchFigure[], settings: string): void {
  const file = process.env.BENCH_SUMMARY_FILE;
  if (!file) return;
  writeFileSync(file, JSON.stringify(benchSummarySchema.parse({ bench, settings, figures }), null, 2));
}
