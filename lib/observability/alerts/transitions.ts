// What one evaluation changes, decided from the metric readings and the episodes already open,
// without touching the database. An episode opens when its metric is in "alert" and resolves only
// when the metric is back to "ok" (under its warn line): a value hovering at the alert line stays
// one episode instead of opening and resolving on every evaluation.
import type { MetricReading } from "@/lib/observability/metric-types";

export interface OpenEpisode {
  id: string;
  metricKey: string;
  peakValue: number;
}

export interface AlertTransitions {
  open: MetricReading[];
  resolve: { episode: OpenEpisode; value: number | null }[];
  /** Open episodes whose metric reached a worse value than their recorded peak. */
  newPeaks: { episode: OpenEpisode; value: number }[];
}

export function alertTransitions(readings: MetricReading[], openEpisodes: OpenEpisode[]): AlertTransitions {
  const byKey = new Map(readings.map((reading) => [reading.key, reading]));
  const openKeys = new Set(openEpisodes.map((episode) => episode.metricKey));
  const transitions: AlertTransitions = { open: [], resolve: [], newPeaks: [] };

  for (const reading of readings) {
    if (reading.state === "alert" && reading.threshold && reading.value !== null && !openKeys.has(reading.key)) transitions.open.push(reading);
  }
  for (const episode of openEpisodes) {
    const reading = byKey.get(episode.metricKey);
    // A metric that is no longer reported (a provider no longer called) has nothing left to alert on.
    if (!reading || reading.state === "ok") {
      transitions.resolve.push({ episode, value: reading?.value ?? null });
      continue;
    }
    if (reading.value !== null && reading.threshold && isWorse(reading.value, episode.peakValue, reading.threshold.direction)) {
      transitions.newPeaks.push({ episode, value: reading.value });
    }
  }
  return transitions;
}

function isWorse(value: number, than: number, direction: "above" | "below"): boolean {
  return direction === "above" ? value > than : value < than;
}
