"use client";
// A metric's last 14 days, small: the value per day and, when it has one, the alert line. The exact
// figure is in the card beside it (and in the chart's label for screen readers).
import { Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricPoint, MetricUnit } from "@/lib/observability/metric-types";
import { formatMetricValue } from "@/lib/observability/format";
import { formatDay } from "@/lib/usage/format";

export function Sparkline({ points, unit, metricKey, alertLine }: { points: MetricPoint[]; unit: MetricUnit; metricKey: string; alertLine: number | null }) {
  const data = points.map((p) => ({ day: p.at.slice(0, 10), value: p.value }));
  return (
    <div style={{ height: 64 }} aria-hidden>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 4 }}>
          <XAxis dataKey="day" hide />
          <YAxis hide domain={[0, "auto"]} />
          <Tooltip
            labelFormatter={(day) => formatDay(String(day))}
            formatter={(value) => [formatMetricValue(value === null || value === undefined ? null : Number(value), unit, metricKey), ""]}
          />
          {alertLine !== null ? <ReferenceLine y={alertLine} stroke="#dc2626" strokeDasharray="3 3" ifOverflow="extendDomain" /> : null}
          <Line dataKey="value" stroke="#4f46e5" strokeWidth={2} dot={false} connectNulls={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
