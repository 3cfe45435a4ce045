// Exact figures behind a chart: one row per model, feature, member or API key.
import type { UsageFigures } from "@/lib/usage/figures";
import { formatCount, formatUsd } from "@/lib/usage/format";

export interface BreakdownRow extends UsageFigures {
  key: string;
  label: React.ReactNode;
}

export function BreakdownTable({ caption, rows, testId }: { caption: string; rows: BreakdownRow[]; testId?: string }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-slate-50 text-slate-600">
          <tr>
            <th className="p-2 font-medium">{caption}</th>
            <th className="p-2 text-right font-medium">Requests</th>
            <th className="p-2 text-right font-medium">Tokens in / out</th>
            <th className="p-2 text-right font-medium">Cost</th>
            <th className="p-2 text-right font-medium">Cache hits (saved)</th>
            <th className="p-2 text-right font-medium">Errors</th>
          </tr>
        </thead>
        <tbody data-testid={testId}>
          {rows.map((row) => (
            <tr key={row.key} className="border-t border-slate-100">
              <td className="p-2">{row.label}</td>
              <td className="p-2 text-right tabular-nums">{formatCount(row.requests)}</td>
              <td className="p-2 text-right tabular-nums">
                {formatCount(row.inputTokens)} / {formatCount(row.outputTokens)}
              </td>
              <td className="p-2 text-right tabular-nums">{formatUsd(row.costMicroUsd)}</td>
              <td className="p-2 text-right tabular-nums">
                {formatCount(row.cacheHits)} ({formatUsd(row.savedMicroUsd)})
              </td>
              <td className="p-2 text-right tabular-nums">{formatCount(row.errors)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
