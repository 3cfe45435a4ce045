// The observability page's figures (issue 11, point 4): the seed's four layers, each metric with its
// threshold, state and a 14-day chart, computed from stored data only — migration 0015's rollups
// (usage per provider by five minutes and by day, weekly active users, answers per hour) and the
// jobs table — plus the circuit breakers of this process's gateway (they live in memory: no
// instance shares them).
//   usage-data.ts    daily and recent usage rollups, summed per provider
//   jobs-data.ts     queue depth, durations, busy time, outcomes
//   answers-data.ts  answers ended, completed, corrected
//   activity-data.ts weekly active users per feature, rolling
//   infrastructure.ts, llm.ts, quality.ts, business.ts: the readings of each layer
import type { Gateway } from "@/lib/ai/gateway";
import { processSingletonIfCreated } from "@/core/process-singleton";
import { localExecutorSettings } from "@/core/job-runtime";
import type { BreakerState, ObservabilityReport, ObservabilityScope } from "../metric-types";
import { readWeeklyActive } from "./activity-data";
import { readAnswerData } from "./answers-data";
import { businessReadings, weeklyEnds } from "./business";
import { infrastructureReadings } from "./infrastructure";
import { readJobData } from "./jobs-data";
import { llmReadings } from "./llm";
import { qualityReadings } from "./quality";
import { inScope } from "./scope";
import { readUsageData } from "./usage-data";
import { addDays, windowsAt } from "./windows";

export interface ReadObservabilityOptions {
  now?: Date;
  /** The providers' breaker states; default: this process's gateway's, if it has one (none is created). */
  breakers?: Readonly<Record<string, BreakerState>>;
  /** Worker slots utilisation is measured against; default KEEL_LOCAL_EXECUTOR_SLOTS. */
  workerSlots?: number;
}

function gatewayBreakers(): Record<string, BreakerState> {
  return processSingletonIfCreated<Gateway>("ai:gateway")?.breaker.snapshot() ?? {};
}

/**
 * A tenant's figures (call it only for a tenant the guard admitted as owner or admin) or, for
 * platform operators, every tenant's together. Three transactions in parallel, a handful of
 * queries on rollups and indexes, whatever the number of usage events.
 */
export async function readObservability(scope: ObservabilityScope, options: ReadObservabilityOptions = {}): Promise<ObservabilityReport> {
  const windows = windowsAt(options.now ?? new Date());
  const ends = weeklyEnds(windows);
  const [usage, { jobs, weekly }, answers] = await Promise.all([
    inScope(scope, (tx, filter) => readUsageData(tx, filter, windows)),
    inScope(scope, async (tx, filter) => ({
      jobs: await readJobData(tx, filter, windows),
      // A week's change at each chart day needs the week before the first one too.
      weekly: await readWeeklyActive(tx, filter, addDays(ends[0]!, -7), ends.at(-1)!),
    })),
    inScope(scope, (tx, filter) => readAnswerData(tx, filter, windows)),
  ]);
  const breakers = options.breakers ?? gatewayBreakers();
  const slots = options.workerSlots ?? localExecutorSettings().slots;
  return {
    scope,
    window: { from: windows.recent.from, to: windows.recent.to, label: windows.recent.label },
    generatedAt: windows.now.toISOString(),
    metrics: [
      ...infrastructureReadings(usage, jobs, windows, slots),
      ...llmReadings(usage, windows, breakers),
      ...qualityReadings(usage, answers, windows),
      ...businessReadings(jobs, answers, weekly, windows),
    ],
  };
}

export type { ObservabilityReport, ObservabilityScope } from "../metric-types";
