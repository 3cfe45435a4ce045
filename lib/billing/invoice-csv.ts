// An invoice as CSV (RFC 4180): one row per line, then the total and what late events it includes.
// Names in it (models, features) can come from API callers, so a cell that a spreadsheet would run
// as a formula is defused with a leading apostrophe (OWASP's CSV-injection advice).
import { centsText, microUsdText } from "./money";
import type { Invoice } from "./invoice";
import { monthOf } from "./periods";

const FORMULA_START = /^[=+\-@\t\r\n]/;

/** One text cell: formula-like starts defused, then quoted when it holds a quote, comma or line break. */
export function csvText(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const invoiceCsvHeader = [
  "period",
  "status",
  "row",
  "provider",
  "model",
  "feature",
  "requests",
  "input_tokens",
  "output_tokens",
  "cost_usd_exact",
  "amount_usd",
] as const;

type Figures = { requests: number; inputTokens: number; outputTokens: number; costMicroUsd: number };
const figureCells = (f: Figures) => [String(f.requests), String(f.inputTokens), String(f.outputTokens), microUsdText(f.costMicroUsd)];

export function invoiceCsv(invoice: Invoice): string {
  const period = monthOf(invoice.periodStart);
  const row = (kind: string, names: string[], cells: string[]) => [period, invoice.status, kind, ...names.map(csvText), ...cells].join(",");
  const rows = [
    invoiceCsvHeader.join(","),
    ...invoice.lines.map((line) => row("line", [line.provider, line.model, line.feature], [...figureCells(line), centsText(line.amountCents)])),
    row("total", ["", "", ""], [...figureCells(invoice.totals), centsText(invoice.totals.amountCents)]),
  ];
  if (invoice.late.requests > 0) {
    // Already counted in the lines and the total above: listed so that late arrivals are visible.
    rows.push(row("late_included", ["", "", ""], [String(invoice.late.requests), "", "", microUsdText(invoice.late.costMicroUsd), ""]));
  }
  return `${rows.join("\r\n")}\r\n`;
}

export function invoiceCsvFileName(slug: string, periodStart: string): string {
  return `keel-${slug.replace(/[^a-z0-9-]/gi, "") || "workspace"}-${monthOf(periodStart)}.csv`;
}
