// LLM operations: latency, tokens, cost per call, cost spike, cache hits, fallbacks, and each
// provider's availability on its own. All from the usage rollups (daily for the charts, five-minute
// buckets for the current window); the breaker states come from this process's gateway.
import type { BreakerState, MetricReading } from "../metric-types";
import { percentileFromBuckets } from "./latency";
import { count, median, points, ratio, reading } from "./reading";
import { thresholds } from "./thresholds";
import { BASELINE_DAYS, dailySums, sumAll, type UsageData, type UsageSums } from "./usage-data";
import { addDays, type Windows } from "./windows";

/** Cache hits are metered with provider "cache": they are no provider's availability. */
const CACHE_PROVIDER = "cache";
const usd = (micro: number) => micro / 1_000_000;
const tokensOf = (s: UsageSums) => s.inputTokens + s.outputTokens;

export function llmReadings(data: UsageData, windows: Windows, breakers: Readonly<Record<string, BreakerState>>): MetricReading[] {
  const days = windows.historyDays;
  const now = sumAll(data.recent);
  const byDay = dailySums(data, days);
  const dayOf = (day: string) => byDay.get(day)!;
  const common = { layer: "llm" as const };

  // Cost spike: the last 24 hours against the median of the 7 full days before today; a day on
  // the chart against the 7 days before it.
  const costDays = dailySums(
    data,
    Array.from({ length: days.length + BASELINE_DAYS }, (_, i) => addDays(days[0]!, i - BASELINE_DAYS)),
  );
  const costOf = (day: string) => costDays.get(day)?.costMicroUsd ?? 0;
  const baselineBefore = (day: string) => median(Array.from({ length: BASELINE_DAYS }, (_, i) => costOf(addDays(day, -1 - i))));
  const spike = (cost: number, baseline: number | null) => (baseline ? cost / baseline : null);
  const lastDayCost = sumAll(data.lastDay).costMicroUsd;
  const baseline = baselineBefore(windows.today);

  const readings: MetricReading[] = [
    reading({
      ...common,
      key: "llm.p95_latency",
      label: "P95 latency",
      unit: "ms",
      value: percentileFromBuckets(now.latencyBuckets, now.latencyMsMax, 0.95),
      threshold: thresholds.p95LatencyMs,
      history: points(days, (d) => percentileFromBuckets(dayOf(d).latencyBuckets, dayOf(d).latencyMsMax, 0.95)),
      detail: `${count(now.requests)} calls; to the histogram's bucket bound`,
    }),
    reading({
      ...common,
      key: "llm.tokens",
      label: "Tokens",
      unit: "tokens",
      value: tokensOf(now),
      threshold: null,
      history: points(days, (d) => tokensOf(dayOf(d))),
      detail: `${count(now.inputTokens)} in, ${count(now.outputTokens)} out`,
    }),
    reading({
      ...common,
      key: "llm.cost_per_request",
      label: "Cost per call",
      unit: "usd",
      value: now.requests > 0 ? usd(now.costMicroUsd) / now.requests : null,
      threshold: null,
      history: points(days, (d) => (dayOf(d).requests > 0 ? usd(dayOf(d).costMicroUsd) / dayOf(d).requests : null)),
      detail: `${count(now.requests)} calls, cache hits included`,
    }),
    reading({
      ...common,
      key: "llm.cost_spike",
      label: "Cost against baseline",
      unit: "ratio",
      value: spike(lastDayCost, baseline),
      threshold: thresholds.costSpike,
      history: points(days, (d) => spike(costOf(d), baselineBefore(d))),
      window: windows.day,
      detail: baseline
        ? `$${usd(lastDayCost).toFixed(4)} against a median day of $${usd(baseline).toFixed(4)} (7 days before today)`
        : "no spend in the 7 days before today",
    }),
    reading({
      ...common,
      key: "llm.cache_hit_rate",
      label: "Cache hit rate",
      unit: "ratio",
      value: ratio(now.cacheHits, now.requests),
      threshold: null,
      history: points(days, (d) => ratio(dayOf(d).cacheHits, dayOf(d).requests)),
      detail: `${count(now.cacheHits)} of ${count(now.requests)} calls`,
    }),
    reading({
      ...common,
      key: "llm.fallback_rate",
      label: "Fallback rate",
      unit: "ratio",
      value: ratio(now.fallbackCalls, now.requests),
      threshold: null,
      history: points(days, (d) => ratio(dayOf(d).fallbackCalls, dayOf(d).requests)),
      detail: `${count(now.fallbackCalls)} of ${count(now.requests)} calls answered by a later provider`,
    }),
  ];

  const providers = new Set([...data.daily.map((r) => r.provider), ...data.recent.map((r) => r.provider), ...Object.keys(breakers)]);
  providers.delete(CACHE_PROVIDER);
  for (const provider of [...providers].sort()) {
    const current = sumAll(data.recent.filter((r) => r.provider === provider));
    const perDay = dailySums(data, days, provider);
    const success = (s: UsageSums) => ratio(s.requests - s.errors, s.requests);
    readings.push(
      reading({
        ...common,
        key: `llm.provider_availability.${provider}`,
        label: `Availability: ${provider}`,
        unit: "ratio",
        value: success(current),
        threshold: thresholds.providerAvailability,
        history: points(days, (d) => success(perDay.get(d)!)),
        // A failed call is metered against the chain's first provider; a call another provider
        // rescued counts as that one's success (and as a fallback above).
        detail: `${count(current.requests - current.errors)} of ${count(current.requests)} calls succeeded`,
        ...(breakers[provider] ? { breaker: breakers[provider] } : {}),
      }),
    );
  }
  return readings;
}
