"use client";
// The Usage page's charts (recharts). They draw what the server computed; exact figures are in the
// tables beside them, which is also what screen readers get.
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCompact, formatCount, formatDay, formatUsd } from "@/lib/usage/format";

export type ChartUnit = "tokens" | "usd";

const formatValue = (unit: ChartUnit, value: number) => (unit === "usd" ? formatUsd(value) : formatCount(value));
const formatAxis = (unit: ChartUnit, value: number) => (unit === "usd" ? `$${formatCompact(value / 1_000_000)}` : formatCompact(value));
const tooltipNumber = (unit: ChartUnit) => (value: unknown) => formatValue(unit, Number(value));

function Frame({ label, height = 240, children }: { label: string; height?: number; children: React.ReactElement }) {
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-3" aria-label={label}>
      <figcaption className="mb-2 text-sm font-medium text-slate-700">{label}</figcaption>
      <div style={{ height }} aria-hidden>
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

export interface DailyPoint {
  day: string;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
}

/** Tokens in and out per day (bars) and cost per day (line, right axis). */
export function DailyUsageChart({ points }: { points: DailyPoint[] }) {
  return (
    <Frame label="Tokens and cost by day">
      <ComposedChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="day" tickFormatter={formatDay} fontSize={11} minTickGap={16} />
        <YAxis yAxisId="tokens" tickFormatter={(v: number) => formatAxis("tokens", v)} fontSize={11} width={48} />
        <YAxis yAxisId="usd" orientation="right" tickFormatter={(v: number) => formatAxis("usd", v)} fontSize={11} width={52} />
        <Tooltip
          labelFormatter={(day) => formatDay(String(day))}
          formatter={(value, name) => (name === "Cost" ? formatUsd(Number(value)) : formatCount(Number(value)))}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar yAxisId="tokens" dataKey="inputTokens" name="Input tokens" stackId="tokens" fill="#6366f1" />
        <Bar yAxisId="tokens" dataKey="outputTokens" name="Output tokens" stackId="tokens" fill="#a5b4fc" />
        <Line yAxisId="usd" dataKey="costMicroUsd" name="Cost" stroke="#d97706" dot={false} strokeWidth={2} />
      </ComposedChart>
    </Frame>
  );
}

export interface BreakdownPoint {
  label: string;
  value: number;
}

/** One measure per name (model, feature, member, API key), biggest first. */
export function BreakdownChart({ label, unit, points }: { label: string; unit: ChartUnit; points: BreakdownPoint[] }) {
  const shown = points.slice(0, 10);
  return (
    <Frame label={label} height={Math.max(120, shown.length * 28 + 40)}>
      <BarChart data={shown} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" tickFormatter={(v: number) => formatAxis(unit, v)} fontSize={11} />
        <YAxis type="category" dataKey="label" width={140} fontSize={11} tickFormatter={(v: string) => (v.length > 22 ? `${v.slice(0, 21)}…` : v)} />
        <Tooltip formatter={tooltipNumber(unit)} />
        <Bar dataKey="value" name={unit === "usd" ? "Cost" : "Tokens"} fill={unit === "usd" ? "#d97706" : "#6366f1"} />
      </BarChart>
    </Frame>
  );
}

export interface QuotaPoint {
  day: string;
  actual: number | null;
  projected: number | null;
}

/** Running total over the period against the soft and hard limits, with the projection to its end. */
export function QuotaChart({
  label,
  unit,
  points,
  limit,
  softLimit,
}: {
  label: string;
  unit: ChartUnit;
  points: QuotaPoint[];
  limit: number | null;
  softLimit: number | null;
}) {
  const top = Math.max(limit ?? 0, ...points.map((p) => Math.max(p.actual ?? 0, p.projected ?? 0)));
  return (
    <Frame label={label} height={200}>
      <LineChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="day" tickFormatter={formatDay} fontSize={11} minTickGap={16} />
        <YAxis tickFormatter={(v: number) => formatAxis(unit, v)} fontSize={11} width={52} domain={[0, Math.ceil(top * 1.05) || 1]} />
        <Tooltip labelFormatter={(day) => formatDay(String(day))} formatter={tooltipNumber(unit)} />
        {limit !== null ? (
          <ReferenceLine y={limit} stroke="#dc2626" strokeDasharray="4 2" label={{ value: "Limit", fontSize: 11, position: "insideTopLeft" }} />
        ) : null}
        {softLimit !== null ? (
          <ReferenceLine y={softLimit} stroke="#d97706" strokeDasharray="4 2" label={{ value: "Warning", fontSize: 11, position: "insideBottomLeft" }} />
        ) : null}
        <Line dataKey="actual" name="Used" stroke="#4f46e5" strokeWidth={2} dot={false} connectNulls={false} />
        <Line dataKey="projected" name="Projected" stroke="#4f46e5" strokeDasharray="5 4" dot={false} connectNulls={false} />
      </LineChart>
    </Frame>
  );
}
