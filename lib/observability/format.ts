// How the observability page writes a metric's value and threshold, by unit.
import type { MetricReading, MetricUnit } from "./metric-types";
import { formatCount, formatPercent } from "@/lib/usage/format";

export function formatMetricValue(value: number | null, unit: MetricUnit, key = ""): string {
  if (value === null) return "no data";
  switch (unit) {
    case "ratio":
      // A change (week over week) is signed; a cost against its baseline reads as a multiple.
      if (key.includes("change")) return `${value > 0 ? "+" : ""}${formatPercent(value)}`;
      if (key.endsWith("cost_spike")) return `${value.toFixed(2)}×`;
      return formatPercent(value);
    case "ms":
      return value >= 1_000 ? `${(value / 1_000).toFixed(value >= 10_000 ? 0 : 1)} s` : `${Math.round(value)} ms`;
    case "usd":
      return value === 0 ? "$0" : `$${value < 0.01 ? value.toPrecision(2) : value.toFixed(4)}`;
    case "count":
    case "tokens":
    case "users":
      return formatCount(Math.round(value));
  }
}

export function formatThreshold(reading: Pick<MetricReading, "threshold" | "unit" | "key">): string {
  const t = reading.threshold;
  if (!t) return "no threshold";
  const sign = t.direction === "above" ? ">" : "<";
  return `alert ${sign} ${formatMetricValue(t.alert, reading.unit, reading.key)} · warn ${sign} ${formatMetricValue(t.warn, reading.unit, reading.key)}`;
}
