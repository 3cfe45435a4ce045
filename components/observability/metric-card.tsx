// One metric: its value in the current window, its state against the threshold (shown), and its
// last 14 days as a small chart.
import type { MetricReading } from "@/lib/observability/metric-types";
import { formatMetricValue, formatThreshold } from "@/lib/observability/format";
import { Sparkline } from "./sparkline";
import { StateBadge } from "./state-badge";

const breakerWords = { closed: "closed", open: "open (skipped)", half_open: "half-open (probing)", paused: "paused (rate limited)" } as const;

export function MetricCard({ reading }: { reading: MetricReading }) {
  const hasHistory = reading.history.some((p) => p.value !== null && p.value !== 0);
  return (
    <article
      className="flex flex-col gap-1 rounded-lg border border-slate-200 bg-white p-3"
      data-testid="metric"
      data-key={reading.key}
      data-state={reading.state}
    >
      <div className="flex items-start justify-between gap-2">
        <h3 className="text-sm font-medium text-slate-700">{reading.label}</h3>
        <StateBadge state={reading.state} />
      </div>
      <p className="text-2xl font-semibold text-slate-900" data-testid="metric-value">
        {formatMetricValue(reading.value, reading.unit, reading.key)}
      </p>
      {reading.detail ? <p className="text-xs text-slate-600">{reading.detail}</p> : null}
      {reading.breaker ? (
        <p className="text-xs text-slate-600" data-testid="breaker">
          Circuit breaker (this app instance): <span className="font-medium">{breakerWords[reading.breaker]}</span>
        </p>
      ) : null}
      <p className="text-xs text-slate-500">
        {formatThreshold(reading)}
        {reading.window ? ` · ${reading.window.label}` : ""}
      </p>
      {hasHistory ? (
        <Sparkline points={reading.history} unit={reading.unit} metricKey={reading.key} alertLine={reading.threshold?.alert ?? null} />
      ) : (
        <p className="py-5 text-center text-xs text-slate-400">No history in the last 14 days</p>
      )}
    </article>
  );
}
