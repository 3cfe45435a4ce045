// The period against its limits: used, the warning (soft) and hard lines, and for the current
// period where the pace so far leads by its end.
import type { CumulativePoint, Projection } from "@/lib/usage/forecast";
import { formatCount, formatDay, formatUsd } from "@/lib/usage/format";
import { QuotaChart, type ChartUnit } from "./usage-charts";

export interface QuotaMeterProps {
  label: string;
  unit: ChartUnit;
  used: number;
  limit: number | null;
  softLimitPercent: number;
  reserved: number;
  projection: Projection | null;
  points: CumulativePoint[];
  /** "Plan allowance (free): 500,000 tokens · your limit: the plan's" */
  source: string;
}

const format = (unit: ChartUnit, n: number) => (unit === "usd" ? formatUsd(n) : `${formatCount(n)} tokens`);

function forecastText({ unit, limit, projection }: Pick<QuotaMeterProps, "unit" | "limit" | "projection">): string | null {
  if (!projection) return null;
  const end = `At this pace: ${format(unit, projection.atPeriodEnd)} by the end of the period`;
  if (limit === null) return `${end}.`;
  if (projection.limitDay) return `${end}; the limit is reached on ${formatDay(projection.limitDay)}.`;
  if (projection.softLimitDay) return `${end}; the warning threshold is reached on ${formatDay(projection.softLimitDay)}, the limit is not.`;
  return `${end}, within the limit.`;
}

export function QuotaMeter(props: QuotaMeterProps) {
  const { label, unit, used, limit, softLimitPercent, reserved } = props;
  const share = limit ? Math.min(100, (used / limit) * 100) : null;
  const soft = limit === null ? null : Math.round((limit * softLimitPercent) / 100);
  const forecast = forecastText(props);
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4" aria-label={`${label} this period`}>
      <p className="text-sm text-slate-600">{label}</p>
      <p className="mt-1 text-xl font-semibold" data-testid={`quota-${unit}`}>
        {format(unit, used)} <span className="text-sm font-normal text-slate-500">{limit === null ? "· no limit" : `of ${format(unit, limit)}`}</span>
      </p>
      {share !== null ? (
        <div
          className="relative mt-2 h-2 rounded bg-slate-100"
          role="progressbar"
          aria-label={label}
          aria-valuenow={Math.round(share)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className={`h-2 rounded ${share >= softLimitPercent ? "bg-amber-500" : "bg-indigo-500"}`} style={{ width: `${share}%` }} />
          <div className="absolute -top-1 h-4 w-0.5 bg-amber-600" style={{ left: `${softLimitPercent}%` }} title={`Warning at ${softLimitPercent}%`} />
        </div>
      ) : null}
      <p className="mt-2 text-xs text-slate-500">
        {soft !== null ? `Warning at ${softLimitPercent}% (${format(unit, soft)}). ` : ""}
        {props.source}
        {reserved > 0 ? ` · ${format(unit, reserved)} held by calls in progress.` : ""}
      </p>
      {forecast ? (
        <p className="mt-1 text-sm text-slate-700" data-testid={`forecast-${unit}`}>
          {forecast}
        </p>
      ) : null}
      <div className="mt-3">
        <QuotaChart label={`${label}: running total`} unit={unit} points={props.points} limit={limit} softLimit={soft} />
      </div>
    </section>
  );
}
