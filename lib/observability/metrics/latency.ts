// Percentiles from the rollups' latency histograms: exact to the bucket, which is what the
// thresholds need (10 s is a bucket bound). The value is the bucket's upper bound (buckets are
// [lower, upper) as width_bucket builds them), or the slowest call for the open-ended last one.
import { LATENCY_BUCKET_BOUNDS_MS } from "@/db/schema";

export function percentileFromBuckets(buckets: readonly number[], maxMs: number, quantile: number): number | null {
  const total = buckets.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil(total * quantile);
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= rank) return i < LATENCY_BUCKET_BOUNDS_MS.length ? LATENCY_BUCKET_BOUNDS_MS[i]! : maxMs;
  }
  return maxMs;
}
