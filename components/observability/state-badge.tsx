import type { MetricState } from "@/lib/observability/metric-types";

const styles: Record<MetricState, string> = {
  ok: "bg-emerald-100 text-emerald-800",
  warn: "bg-amber-100 text-amber-900",
  alert: "bg-red-100 text-red-800",
};
const words: Record<MetricState, string> = { ok: "OK", warn: "Warning", alert: "Alert" };

export function StateBadge({ state }: { state: MetricState }) {
  return (
    <span className={`rounded px-2 py-0.5 text-xs font-semibold ${styles[state]}`} data-state={state}>
      {words[state]}
    </span>
  );
}
