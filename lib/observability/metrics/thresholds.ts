// The seed's thresholds, one place. Each warns at 80% of the way to its alert line, so a trend is
// visible before it pages anyone. Metrics the seed gives no line get null (shown, never alerted).
import type { MetricThreshold } from "../metric-types";

const above = (alert: number): MetricThreshold => ({ alert, warn: alert * 0.8, direction: "above" });
const below = (alert: number, warn: number): MetricThreshold => ({ alert, warn, direction: "below" });

export const thresholds = {
  /** Calls that ended in an error: > 2%. */
  errorRate: above(0.02),
  /** Jobs waiting to start: > 1000. */
  queueDepth: above(1000),
  /** P95 latency of model calls: > 10 s. */
  p95LatencyMs: above(10_000),
  /** Last 24 hours' cost against the median day of the week before: > 2×. */
  costSpike: above(2),
  /** Structured outputs that failed validation (after the repair retry): > 5%. */
  validationFailureRate: above(0.05),
  /** Weekly active users against the week before: a drop of more than 10%. */
  weekOverWeek: below(-0.1, -0.08),
  /** Not a seed line: a provider failing more than the platform's error budget (2%) on its own. */
  providerAvailability: below(0.98, 0.984),
} as const satisfies Record<string, MetricThreshold>;
