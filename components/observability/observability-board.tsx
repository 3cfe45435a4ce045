// The four layers, each a grid of metric cards, alerts first in a summary line.
import type { MetricLayer, ObservabilityReport } from "@/lib/observability/metric-types";
import { EmptyState } from "@/components/ui/empty-state";
import { MetricCard } from "./metric-card";

const layers: { layer: MetricLayer; title: string; description: string }[] = [
  { layer: "infrastructure", title: "Infrastructure", description: "Model-call errors, the job queue, job run times and worker use." },
  { layer: "llm", title: "LLM operations", description: "Latency, tokens and cost, cache and fallbacks, and each provider on its own." },
  { layer: "quality", title: "Output quality", description: "Structured outputs that failed validation, and answers people corrected." },
  { layer: "business", title: "Business value", description: "Work completed, and who uses which feature week to week." },
];

export function ObservabilityBoard({ report }: { report: ObservabilityReport }) {
  const alerts = report.metrics.filter((m) => m.state === "alert");
  const warnings = report.metrics.filter((m) => m.state === "warn");
  const anyData = report.metrics.some((m) => (m.value !== null && m.value !== 0) || m.history.some((p) => p.value !== null && p.value !== 0));
  return (
    <div className="flex flex-col gap-8">
      <p role="status" className="text-sm text-slate-700" data-testid="observability-summary">
        {alerts.length === 0 && warnings.length === 0
          ? "Every metric is within its threshold."
          : `${alerts.length} in alert${alerts.length ? `: ${alerts.map((m) => m.label).join(", ")}` : ""}; ${warnings.length} warning${warnings.length === 1 ? "" : "s"}.`}
      </p>
      {anyData ? null : (
        <EmptyState title="Nothing measured yet">Figures appear here once the workspace makes model calls, runs jobs or answers questions.</EmptyState>
      )}
      {layers.map(({ layer, title, description }) => {
        const readings = report.metrics.filter((m) => m.layer === layer);
        return (
          <section key={layer} aria-labelledby={`layer-${layer}`}>
            <h2 id={`layer-${layer}`} className="text-lg font-semibold text-slate-900">
              {title}
            </h2>
            <p className="mb-3 text-sm text-slate-600">{description}</p>
            {readings.length === 0 ? (
              <p className="text-sm text-slate-500">No figures yet.</p>
            ) : (
              <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
                {readings.map((reading) => (
                  <MetricCard key={reading.key} reading={reading} />
                ))}
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
}
