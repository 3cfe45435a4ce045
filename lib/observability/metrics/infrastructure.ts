// Infrastructure: model-call error rate, job queue depth, job durations and worker utilisation.
import type { MetricReading } from "../metric-types";
import type { JobData } from "./jobs-data";
import { count, points, ratio, reading } from "./reading";
import { thresholds } from "./thresholds";
import { dailySums, sumAll, type UsageData } from "./usage-data";
import { dayStart, type Windows } from "./windows";

const DAY_MS = 86_400_000;

export function infrastructureReadings(usage: UsageData, jobs: JobData, windows: Windows, workerSlots: number): MetricReading[] {
  const days = windows.historyDays;
  const now = sumAll(usage.recent);
  const byDay = dailySums(usage, days);
  const jobsOn = (day: string) => jobs.byDay.get(day);
  const common = { layer: "infrastructure" as const };
  const windowMs = windows.now.getTime() - Date.parse(windows.recent.from);
  // Today's chart point covers the day so far.
  const dayMs = (day: string) => Math.min(DAY_MS, windows.now.getTime() - dayStart(day).getTime());
  const utilisation = (busyMs: number, spanMs: number) => (spanMs > 0 && workerSlots > 0 ? busyMs / (workerSlots * spanMs) : null);

  return [
    reading({
      ...common,
      key: "infrastructure.error_rate",
      label: "Error rate",
      unit: "ratio",
      value: ratio(now.errors, now.requests),
      threshold: thresholds.errorRate,
      history: points(days, (d) => ratio(byDay.get(d)!.errors, byDay.get(d)!.requests)),
      detail: `${count(now.errors)} errors in ${count(now.requests)} model calls`,
    }),
    reading({
      ...common,
      key: "infrastructure.queue_depth",
      label: "Job queue depth",
      unit: "count",
      value: jobs.current.queued,
      threshold: thresholds.queueDepth,
      history: points(days, (d) => jobsOn(d)?.queued ?? null),
      window: { from: windows.now.toISOString(), to: windows.now.toISOString(), label: "now (chart: at each day's end)" },
      detail: "jobs waiting to start",
    }),
    reading({
      ...common,
      key: "infrastructure.job_duration_p95",
      label: "Job duration (P95)",
      unit: "ms",
      value: jobs.current.p95DurationMs,
      threshold: null,
      history: points(days, (d) => jobsOn(d)?.p95DurationMs ?? null),
      window: windows.day,
      detail: `${count(jobs.current.finished)} jobs finished`,
    }),
    reading({
      ...common,
      key: "infrastructure.worker_utilisation",
      label: "Worker utilisation",
      unit: "ratio",
      value: utilisation(jobs.current.busyMs, windowMs),
      threshold: null,
      history: points(days, (d) => utilisation(jobsOn(d)?.busyMs ?? 0, dayMs(d))),
      detail: `job run time against ${workerSlots} worker slot${workerSlots === 1 ? "" : "s"} (KEEL_LOCAL_EXECUTOR_SLOTS)`,
    }),
  ];
}
