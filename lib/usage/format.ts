// Number formats shared by the usage page, its charts and the audit log.
export { formatUsd } from "@/lib/ai/usage-report";
export { formatDay } from "@/lib/format/dates";

const whole = new Intl.NumberFormat("en");
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

export const formatCount = (n: number) => whole.format(n);
export const formatCompact = (n: number) => compact.format(n);
export const formatPercent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.01 ? 2 : 1)}%`;
