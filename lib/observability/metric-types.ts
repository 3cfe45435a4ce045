// The shape of the observability page's figures, shared by the page (lib/observability/metrics)
// and the alert evaluator (lib/observability/alerts), so each can be built and tested alone.

export type MetricState = "ok" | "warn" | "alert";
export type MetricLayer = "infrastructure" | "llm" | "quality" | "business";
export type MetricUnit = "ratio" | "ms" | "count" | "usd" | "tokens" | "users";

export interface MetricThreshold {
  /** The seed's threshold: crossing it puts the metric in "alert". */
  alert: number;
  /** An earlier line that puts it in "warn" (for example 80% of the alert line). */
  warn: number;
  /** "above": higher is worse (error rate); "below": lower is worse (availability). */
  direction: "above" | "below";
}

export interface MetricPoint {
  /** Start of the bucket, ISO 8601. */
  at: string;
  value: number | null;
}

/** A circuit breaker's state for one provider, as this app instance sees it (breakers live in memory). */
export type BreakerState = "closed" | "open" | "half_open" | "paused";

export interface MetricWindow {
  from: string;
  to: string;
  /** In words, for the page: "last 60 minutes", "7 days to yesterday (UTC)". */
  label: string;
}

export interface MetricReading {
  /** Stable id, e.g. "infrastructure.error_rate" or "llm.provider_availability.openai". */
  key: string;
  layer: MetricLayer;
  label: string;
  unit: MetricUnit;
  /** The current window's value; null when the window holds no data (state is then "ok"). */
  value: number | null;
  threshold: MetricThreshold | null;
  state: MetricState;
  history: MetricPoint[];
  /** Set when this reading's value covers another window than the report's (jobs, weekly users). */
  window?: MetricWindow;
  /** What the value is made of, e.g. "3 errors in 150 calls". */
  detail?: string;
  /** Provider availability only: the provider's circuit breaker in this app instance, if it has seen the provider. */
  breaker?: BreakerState;
}

export type ObservabilityScope = { kind: "tenant"; tenantId: string } | { kind: "platform" };

export interface ObservabilityReport {
  scope: ObservabilityScope;
  /** The window the current values cover (a reading with its own `window` says so). */
  window: { from: string; to: string; label?: string };
  /** When the figures were read. */
  generatedAt?: string;
  metrics: MetricReading[];
}

export function stateFor(value: number | null, threshold: MetricThreshold | null): MetricState {
  if (value === null || threshold === null) return "ok";
  const worse = (limit: number) => (threshold.direction === "above" ? value > limit : value < limit);
  if (worse(threshold.alert)) return "alert";
  if (worse(threshold.warn)) return "warn";
  return "ok";
}
