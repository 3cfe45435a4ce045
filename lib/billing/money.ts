// Money is counted in integer micro-USD end to end; invoices round each line to cents (half up)
// and add the rounded lines, so every total on the page, in the CSV and in the snapshot agrees.

/** A line's invoice amount in cents, rounded half up. Mirrors `(cost_micro_usd + 5000) / 10000` in SQL. */
export function centsOf(microUsd: number): number {
  if (!Number.isSafeInteger(microUsd) || microUsd < 0) throw new RangeError(`Not a micro-USD amount: ${microUsd}`);
  return Math.floor((microUsd + 5_000) / 10_000);
}

/** Exact decimal text of a micro-USD amount, no floating point: 1234567 → "1.234567". */
export function microUsdText(microUsd: number): string {
  const whole = Math.floor(microUsd / 1_000_000);
  return `${whole}.${String(microUsd - whole * 1_000_000).padStart(6, "0")}`;
}

/** Exact decimal text of cents: 1234 → "12.34". */
export function centsText(cents: number): string {
  const whole = Math.floor(cents / 100);
  return `${whole}.${String(cents - whole * 100).padStart(2, "0")}`;
}

const usd = new Intl.NumberFormat("en", { style: "currency", currency: "USD" });
/** For display: "$12.34". */
export const formatCents = (cents: number) => usd.format(cents / 100);
