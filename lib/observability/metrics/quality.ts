// Output quality: structured outputs that failed validation after the repair retry, and answers
// people corrected (a thumbs-down or an edit).
import type { MetricReading } from "../metric-types";
import type { AnswerData } from "./answers-data";
import { count, points, ratio, reading } from "./reading";
import { thresholds } from "./thresholds";
import { dailySums, sumAll, type UsageData, type UsageSums } from "./usage-data";
import type { Windows } from "./windows";

const validated = (s: UsageSums) => s.validationPass + s.validationRepaired + s.validationFailed;

export function qualityReadings(usage: UsageData, answers: AnswerData, windows: Windows): MetricReading[] {
  const days = windows.historyDays;
  const now = sumAll(usage.recent);
  const byDay = dailySums(usage, days);
  const answersOn = (day: string) => answers.byDay.get(day)!;
  return [
    reading({
      layer: "quality",
      key: "quality.validation_failure_rate",
      label: "Schema validation failures",
      unit: "ratio",
      value: ratio(now.validationFailed, validated(now)),
      threshold: thresholds.validationFailureRate,
      history: points(days, (d) => ratio(byDay.get(d)!.validationFailed, validated(byDay.get(d)!))),
      detail: `${count(now.validationFailed)} failed of ${count(validated(now))} validated (${count(now.validationRepaired)} repaired)`,
    }),
    reading({
      layer: "quality",
      key: "quality.correction_rate",
      label: "User corrections",
      unit: "ratio",
      value: ratio(answers.lastDay.corrected, answers.lastDay.answered),
      threshold: null,
      history: points(days, (d) => ratio(answersOn(d).corrected, answersOn(d).answered)),
      window: windows.day,
      detail: `${count(answers.lastDay.corrected)} of ${count(answers.lastDay.answered)} answers thumbed down or corrected`,
    }),
  ];
}
