// Inngest fails a run past 1,000 steps (see inngest/local-executor/limits.ts), so a function whose
// work grows with its input gives each step a share of it: consecutive groups, as even as they
// can be, never more of them than the function's step budget allows.

/** `items` in at most `maxGroups` consecutive groups whose sizes differ by one at most. */
export function groupEvenly<T>(items: readonly T[], maxGroups: number): T[][] {
  if (!Number.isInteger(maxGroups) || maxGroups < 1) throw new Error(`maxGroups must be a positive integer, not ${maxGroups}`);
  const groups = Math.min(items.length, maxGroups);
  const result: T[][] = [];
  let start = 0;
  for (let g = 0; g < groups; g++) {
    const size = Math.floor(items.length / groups) + (g < items.length % groups ? 1 : 0);
    result.push(items.slice(start, start + size));
    start += size;
  }
  return result;
}
