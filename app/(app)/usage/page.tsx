import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui/empty-state";
import { getQuotaStatus } from "@/lib/ai/ai-settings";
import { formatUsd, usageByModel } from "@/lib/ai/usage-report";
import { validationCounts } from "@/lib/ai/validation-counts";
import { requirePageTenant } from "@/lib/auth/page-guard";
import { hasRole } from "@/lib/tenancy/roles";

export const metadata: Metadata = { title: "Usage" };

const number = new Intl.NumberFormat("en");

interface MeterProps {
  label: string;
  used: number;
  limit: number | null;
  format: (n: number) => string;
  plan: string;
  allowance: number | null;
  own: number | null;
}

function Meter({ label, used, limit, format, plan, allowance, own }: MeterProps) {
  const share = limit ? Math.min(100, Math.round((used / limit) * 100)) : null;
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4">
      <p className="text-sm text-slate-600">{label}</p>
      <p className="mt-1 text-xl font-semibold">
        {format(used)} <span className="text-sm font-normal text-slate-500">{limit === null ? "· no limit" : `of ${format(limit)}`}</span>
      </p>
      {share !== null ? (
        <div className="mt-2 h-2 rounded bg-slate-100" role="progressbar" aria-label={label} aria-valuenow={share} aria-valuemin={0} aria-valuemax={100}>
          <div className={`h-2 rounded ${share >= 80 ? "bg-amber-500" : "bg-indigo-500"}`} style={{ width: `${share}%` }} />
        </div>
      ) : null}
      <p className="mt-2 text-xs text-slate-500">
        Plan allowance (<span className="capitalize">{plan}</span>): {allowance === null ? "no limit" : format(allowance)} · your limit:{" "}
        {own === null ? "the plan's" : format(own)}
      </p>
    </div>
  );
}

export default async function UsagePage() {
  const ctx = await requirePageTenant();
  if (!hasRole(ctx.role, "admin")) {
    return (
      <>
        <PageHeader title="Usage" />
        <p role="alert" className="rounded-md bg-amber-50 p-4 text-sm text-amber-900">
          Usage, cost and quotas are visible to owners and admins only.
        </p>
      </>
    );
  }
  const [quota, models, quality] = await Promise.all([getQuotaStatus(ctx), usageByModel(ctx), validationCounts(ctx)]);
  return (
    <>
      <PageHeader
        title="Usage"
        description={`This month (resets ${quota.resetsAt.slice(0, 10)} UTC). Every model call is metered, including cache hits and API calls.`}
      />
      <div className="grid gap-4 sm:grid-cols-2">
        <Meter
          label="Tokens"
          used={quota.usedTokens}
          limit={quota.tokenLimit}
          format={(n) => number.format(n)}
          plan={quota.plan}
          allowance={quota.allowance.monthlyTokens}
          own={quota.ownTokenLimit}
        />
        <Meter
          label="Spend"
          used={quota.usedMicroUsd}
          limit={quota.microUsdLimit}
          format={formatUsd}
          plan={quota.plan}
          allowance={quota.allowance.monthlyMicroUsd}
          own={quota.ownMicroUsdLimit}
        />
      </div>
      <h2 className="mb-2 mt-8 text-lg font-semibold">By model, last 30 days</h2>
      {models.length === 0 ? (
        <EmptyState title="No model calls yet">Chat, document analysis and API calls appear here as they happen.</EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <thead className="bg-slate-50 text-slate-600">
              <tr>
                <th className="p-2 font-medium">Model</th>
                <th className="p-2 font-medium">Requests</th>
                <th className="p-2 font-medium">Tokens in / out</th>
                <th className="p-2 font-medium">Cost</th>
                <th className="p-2 font-medium">Cache hits (saved)</th>
                <th className="p-2 font-medium">Errors</th>
              </tr>
            </thead>
            <tbody data-testid="usage-table">
              {models.map((m) => (
                <tr key={`${m.provider}/${m.model}`} className="border-t border-slate-100">
                  <td className="p-2">
                    {m.model} <span className="text-slate-500">({m.provider})</span>
                  </td>
                  <td className="p-2">{number.format(m.requests)}</td>
                  <td className="p-2">
                    {number.format(m.inputTokens)} / {number.format(m.outputTokens)}
                  </td>
                  <td className="p-2">{formatUsd(m.costMicroUsd)}</td>
                  <td className="p-2">
                    {number.format(m.cacheHits)} ({formatUsd(m.savedMicroUsd)})
                  </td>
                  <td className="p-2">{number.format(m.errors)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {quality.length > 0 ? (
        <>
          <h2 className="mb-2 mt-8 text-lg font-semibold">Structured output quality</h2>
          <ul className="text-sm">
            {quality.map((q) => (
              <li key={`${q.feature}/${q.model}`}>
                {q.feature} · {q.model}: {q.pass} passed, {q.repaired} repaired, {q.failed} failed
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
