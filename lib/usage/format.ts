// Number formats shared by the usage page, its charts and the audit log.
export { formatUsd } from "@/lib/ai/usage-report";

const whole = new Intl.NumberFormat("en");
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const dayFormat = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", timeZone: "UTC" });

export const formatCount = (n: number) => whole.format(n);
export const formatCompact = (n: number) => compact.format(n);
export const formatPercent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.01 ? 2 : 1)}%`;
/** "2025-11-03" → "Nov 3". */
export const formatDay = (day: string) => dayFormat.format(new Date(`${day}T00:00:00Z`));
