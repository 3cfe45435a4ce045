// The Usage page for a member: their own calls this period and what is left of their allowance.
import { EmptyState } from "@/components/ui/empty-state";
import { formatCount, formatUsd } from "@/lib/usage/format";
import type { MemberUsageReport } from "@/lib/usage/member-report";
import { dailyPoints } from "./admin-usage";
import { BreakdownTable } from "./breakdown-table";
import { DailyUsageChart } from "./usage-charts";

export function MemberUsage({ report }: { report: MemberUsageReport }) {
  const { totals, allowance } = report;
  const used = totals.inputTokens + totals.outputTokens;
  return (
    <>
      <div className="grid gap-4 sm:grid-cols-2">
        <section className="rounded-lg border border-slate-200 bg-white p-4" aria-label="Your usage this period">
          <p className="text-sm text-slate-600">Your usage</p>
          <p className="mt-1 text-xl font-semibold" data-testid="my-tokens">
            {formatCount(used)} tokens
          </p>
          <p className="mt-1 text-sm text-slate-600">
            {formatCount(totals.requests)} requests · {formatUsd(totals.costMicroUsd)}
          </p>
        </section>
        <section className="rounded-lg border border-slate-200 bg-white p-4" aria-label="Your allowance">
          <p className="text-sm text-slate-600">Your allowance</p>
          {allowance.cap === null ? (
            <p className="mt-1 text-sm text-slate-700" data-testid="my-allowance">
              No personal limit in this workspace; the workspace&apos;s own limits apply.
            </p>
          ) : (
            <>
              <p className="mt-1 text-xl font-semibold" data-testid="my-allowance">
                {formatCount(allowance.remainingTokens ?? 0)} tokens left
              </p>
              <p className="mt-1 text-sm text-slate-600">
                {formatCount(allowance.countedTokens + allowance.reservedTokens)} of {formatCount(allowance.cap)} tokens counted
                {report.isCurrent ? " this month" : ""}.
              </p>
            </>
          )}
        </section>
      </div>
      {totals.requests === 0 ? (
        <div className="mt-8">
          <EmptyState title="You made no model calls in this period">Your chat and document work appears here as it happens.</EmptyState>
        </div>
      ) : (
        <>
          <div className="mt-6">
            <DailyUsageChart points={dailyPoints(report.byDay)} />
          </div>
          <div className="mt-4">
            <BreakdownTable caption="Feature" testId="my-usage-by-feature" rows={report.byFeature.map((f) => ({ ...f, key: f.feature, label: f.feature }))} />
          </div>
        </>
      )}
    </>
  );
}
