// The period's invoice: one line per model and feature in cents, subtotals that add those lines,
// and the CSV of the very same figures.
import type { Invoice, InvoiceFigures } from "@/lib/billing/invoice";
import { centsOf, centsText, formatCents, microUsdText } from "@/lib/billing/money";
import { monthOf, periodLabel } from "@/lib/billing/periods";
import { formatCount } from "@/lib/usage/format";
import { formatDateTime } from "@/lib/format/dates";

function Subtotals({ caption, rows }: { caption: string; rows: (InvoiceFigures & { key: string; label: string })[] }) {
  return (
    <table className="w-full text-left text-sm">
      <caption className="mb-1 text-left text-sm font-medium text-slate-700">{caption}</caption>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key} className="border-t border-slate-100">
            <td className="py-1 pr-2">{row.label}</td>
            <td className="py-1 text-right tabular-nums">{formatCents(row.amountCents)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function InvoiceSection({ invoice }: { invoice: Invoice }) {
  const month = monthOf(invoice.periodStart);
  return (
    <section aria-labelledby="invoice-heading" className="rounded-lg border border-slate-200 bg-white p-4">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div>
          <h2 id="invoice-heading" className="text-lg font-semibold">
            Invoice, {periodLabel(invoice.periodStart)}
          </h2>
          <p className="text-sm text-slate-600" data-testid="invoice-status">
            {invoice.status === "closed" && invoice.closedAt
              ? `Closed ${formatDateTime(invoice.closedAt)} UTC. A closed period never changes: calls dated in it that are recorded later are billed in the next open period.`
              : "Open: these figures grow until the period closes, shortly after it ends."}
          </p>
        </div>
        <a
          href={`/api/billing/${month}/csv`}
          download
          className="rounded-md border border-slate-300 px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
        >
          Download CSV
        </a>
      </div>
      {invoice.late.requests > 0 ? (
        <p className="mt-2 rounded-md bg-amber-50 p-2 text-sm text-amber-900" data-testid="invoice-late">
          Includes {formatCount(invoice.late.requests)} late calls ({formatCents(centsOf(invoice.late.costMicroUsd))}) dated in an earlier period that had
          already closed.
        </p>
      ) : null}
      {invoice.lines.length === 0 ? (
        <p className="mt-3 text-sm text-slate-600">Nothing to bill in this period.</p>
      ) : (
        <>
          <div className="mt-3 overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-slate-600">
                <tr>
                  <th className="p-2 font-medium">Model</th>
                  <th className="p-2 font-medium">Feature</th>
                  <th className="p-2 text-right font-medium">Requests</th>
                  <th className="p-2 text-right font-medium">Tokens</th>
                  <th className="p-2 text-right font-medium">Cost (exact)</th>
                  <th className="p-2 text-right font-medium">Amount</th>
                </tr>
              </thead>
              <tbody data-testid="invoice-lines">
                {invoice.lines.map((line) => (
                  <tr key={`${line.provider}/${line.model}/${line.feature}`} className="border-t border-slate-100">
                    <td className="p-2">
                      {line.model} <span className="text-slate-500">({line.provider})</span>
                    </td>
                    <td className="p-2">{line.feature}</td>
                    <td className="p-2 text-right tabular-nums">{formatCount(line.requests)}</td>
                    <td className="p-2 text-right tabular-nums">{formatCount(line.inputTokens + line.outputTokens)}</td>
                    <td className="p-2 text-right tabular-nums">${microUsdText(line.costMicroUsd)}</td>
                    <td className="p-2 text-right tabular-nums">{formatCents(line.amountCents)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr className="border-t-2 border-slate-300 font-semibold">
                  <td className="p-2" colSpan={2}>
                    Total
                  </td>
                  <td className="p-2 text-right tabular-nums">{formatCount(invoice.totals.requests)}</td>
                  <td className="p-2 text-right tabular-nums">{formatCount(invoice.totals.inputTokens + invoice.totals.outputTokens)}</td>
                  <td className="p-2 text-right tabular-nums">${microUsdText(invoice.totals.costMicroUsd)}</td>
                  <td className="p-2 text-right tabular-nums" data-testid="invoice-total" data-amount={centsText(invoice.totals.amountCents)}>
                    {formatCents(invoice.totals.amountCents)}
                  </td>
                </tr>
              </tfoot>
            </table>
          </div>
          <div className="mt-4 grid gap-4 sm:grid-cols-2">
            <Subtotals caption="By model" rows={invoice.byModel.map((m) => ({ ...m, key: `${m.provider}/${m.model}`, label: `${m.model} (${m.provider})` }))} />
            <Subtotals caption="By feature" rows={invoice.byFeature.map((f) => ({ ...f, key: f.feature, label: f.feature }))} />
          </div>
        </>
      )}
    </section>
  );
}
