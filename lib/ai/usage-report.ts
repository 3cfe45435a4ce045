// Money as the pages show it. The Usage page's read models are in lib/usage (rollups by period).

export function formatUsd(microUsd: number): string {
  return `$${(microUsd / 1_000_000).toFixed(microUsd < 10_000 ? 4 : 2)}`;
}
