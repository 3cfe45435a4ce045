// Business value: task completion (jobs and chat answers completed against those that ended) and
// weekly active users per feature with their week-over-week change.
import type { MetricReading } from "../metric-types";
import { ALL_FEATURES } from "./activity-data";
import type { AnswerData } from "./answers-data";
import type { JobData } from "./jobs-data";
import { count, points, ratio, reading } from "./reading";
import { thresholds } from "./thresholds";
import { addDays, HISTORY_DAYS, type Windows } from "./windows";

/** Window end days of the weekly charts: the 14 days to yesterday (the last full day). */
export const weeklyEnds = (windows: Windows): string[] => Array.from({ length: HISTORY_DAYS }, (_, i) => addDays(windows.today, i - HISTORY_DAYS));

export function businessReadings(jobs: JobData, answers: AnswerData, weekly: Map<string, Map<string, number>>, windows: Windows): MetricReading[] {
  const days = windows.historyDays;
  const completion = (succeeded: number, ended: number) => ratio(succeeded, ended);
  const dayCompletion = (day: string) => {
    const j = jobs.byDay.get(day);
    const a = answers.byDay.get(day)!;
    return completion((j?.succeeded ?? 0) + a.complete, (j ? j.succeeded + j.unsuccessful : 0) + a.finished);
  };
  const done = jobs.current.succeeded + answers.lastDay.complete;
  const ended = jobs.current.succeeded + jobs.current.unsuccessful + answers.lastDay.finished;
  const readings: MetricReading[] = [
    reading({
      layer: "business",
      key: "business.task_completion_rate",
      label: "Task completion",
      unit: "ratio",
      value: completion(done, ended),
      threshold: null,
      history: points(days, dayCompletion),
      window: windows.day,
      detail: `${count(done)} of ${count(ended)} jobs and answers completed (stopped, cancelled and failed ones did not)`,
    }),
  ];

  const ends = weeklyEnds(windows);
  const last = ends.at(-1)!;
  const features = [ALL_FEATURES, ...[...weekly.keys()].filter((f) => f !== ALL_FEATURES).sort()];
  for (const feature of features) {
    const series = weekly.get(feature) ?? new Map<string, number>();
    const active = (day: string) => series.get(day) ?? 0;
    const change = (day: string) => {
      const before = active(addDays(day, -7));
      return before > 0 ? active(day) / before - 1 : null;
    };
    const suffix = feature === ALL_FEATURES ? "" : `.${feature}`;
    const name = feature === ALL_FEATURES ? "all features" : feature;
    const chart = (valueOf: (day: string) => number | null) => ends.map((day) => ({ at: `${day}T00:00:00.000Z`, value: valueOf(day) }));
    readings.push(
      reading({
        layer: "business",
        key: `business.weekly_active_users${suffix}`,
        label: `Weekly active users: ${name}`,
        unit: "users",
        value: active(last),
        threshold: null,
        history: chart(active),
        window: windows.week,
        detail: "members and API keys with a model call (jobs not counted)",
      }),
      reading({
        layer: "business",
        key: `business.weekly_active_users_change${suffix}`,
        label: `Week over week: ${name}`,
        unit: "ratio",
        value: change(last),
        threshold: thresholds.weekOverWeek,
        history: chart(change),
        window: windows.week,
        detail: `${count(active(last))} against ${count(active(addDays(last, -7)))} the week before`,
      }),
    );
  }
  return readings;
}
