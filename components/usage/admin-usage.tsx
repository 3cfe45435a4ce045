// The Usage page for owners and admins: the period against its limits, what was spent by day,
// model, feature, member and API key, what the cache saved, output quality and the invoice.
import { formatCount, formatDay, formatPercent, formatUsd } from "@/lib/usage/format";
import type { AdminUsageReport } from "@/lib/usage/report";
import { EmptyState } from "@/components/ui/empty-state";
import { BreakdownTable } from "./breakdown-table";
import { InvoiceSection } from "./invoice-section";
import { QuotaMeter } from "./quota-panel";
import { BreakdownChart, DailyUsageChart } from "./usage-charts";

export const dailyPoints = (days: AdminUsageReport["byDay"]) =>
  days.map(({ day, inputTokens, outputTokens, costMicroUsd }) => ({ day, inputTokens, outputTokens, costMicroUsd }));
const tokens = (f: { inputTokens: number; outputTokens: number }) => f.inputTokens + f.outputTokens;
const memberLabel = (m: { userId: string | null; name: string | null }) => (m.userId === null ? "No member (API keys, jobs)" : (m.name ?? "Former member"));
const keyLabel = (k: { name: string | null; prefix: string | null; revoked: boolean }) =>
  `${k.name ?? "Deleted key"}${k.prefix ? ` (${k.prefix}…)` : ""}${k.revoked ? ", revoked" : ""}`;

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4">
      <p className="text-sm text-slate-600">{label}</p>
      <p className="mt-1 text-xl font-semibold tabular-nums">{value}</p>
      {hint ? <p className="mt-1 text-xs text-slate-500">{hint}</p> : null}
    </div>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className="mt-8">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

export function AdminUsage({ report, planLine }: { report: AdminUsageReport; planLine: { tokens: string; usd: string } }) {
  const { totals, quota, forecast } = report;
  const empty = totals.requests === 0;
  // Charts show spend when there is any; with only free calls (the offline model, cache hits), tokens.
  const unit = totals.costMicroUsd > 0 ? "usd" : "tokens";
  const measure = (f: { costMicroUsd: number; inputTokens: number; outputTokens: number }) => (unit === "usd" ? f.costMicroUsd : tokens(f));
  const chartLabel = (by: string) => `${unit === "usd" ? "Cost" : "Tokens"} by ${by}`;
  return (
    <>
      <div className="grid gap-4 lg:grid-cols-2">
        <QuotaMeter
          label="Tokens"
          unit="tokens"
          used={tokens(report.paid)}
          limit={quota.tokenLimit}
          softLimitPercent={quota.softLimitPercent}
          reserved={report.isCurrent ? quota.reservedTokens : 0}
          projection={forecast?.tokens ?? null}
          points={report.cumulative.tokens}
          source={planLine.tokens}
        />
        <QuotaMeter
          label="Spend"
          unit="usd"
          used={report.paid.costMicroUsd}
          limit={quota.microUsdLimit}
          softLimitPercent={quota.softLimitPercent}
          reserved={report.isCurrent ? quota.reservedMicroUsd : 0}
          projection={forecast?.microUsd ?? null}
          points={report.cumulative.microUsd}
          source={planLine.usd}
        />
      </div>

      {empty ? (
        <div className="mt-8">
          <EmptyState title="No model calls in this period">Chat, document analysis and API calls appear here as they happen.</EmptyState>
        </div>
      ) : (
        <>
          <div className="mt-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="usage-totals">
            <Stat label="Requests" value={formatCount(totals.requests)} hint={`${formatCount(totals.errors)} failed`} />
            <Stat label="Tokens" value={formatCount(tokens(totals))} hint={`${formatCount(totals.inputTokens)} in · ${formatCount(totals.outputTokens)} out`} />
            <Stat label="Cost" value={formatUsd(totals.costMicroUsd)} />
            <Stat
              label="Cache savings"
              value={formatUsd(report.cache.savedMicroUsd)}
              hint={`${formatCount(totals.cacheHits)} hits (${formatPercent(report.cache.hitRate)}): ${formatCount(report.cache.exact)} exact, ${formatCount(report.cache.semantic)} similar`}
            />
          </div>
          {report.offline.requests > 0 ? (
            <section
              className="mt-4 rounded-lg border border-emerald-200 bg-emerald-50 p-4 text-sm text-emerald-950"
              data-testid="usage-offline"
              aria-label="Offline model"
            >
              <p className="font-medium">
                Offline model: {formatCount(report.offline.requests)} calls · {formatCount(tokens(report.offline))} tokens
              </p>
              <p className="mt-1">
                Free, and not counted against the plan&apos;s allowance: the limits above show paid usage only ({formatCount(tokens(report.paid))} tokens,{" "}
                {formatUsd(report.paid.costMicroUsd)}). The totals here include both.
              </p>
            </section>
          ) : null}
          {report.late.requests > 0 ? (
            <p className="mt-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="late-events">
              This period includes {formatCount(report.late.requests)} late calls ({formatUsd(report.late.costMicroUsd)}) dated{" "}
              {report.late.days.map(formatDay).join(", ")}, recorded after their own period had closed. They are in the totals and the breakdowns, not in the
              chart by day.
            </p>
          ) : null}

          <Section id="by-day" title="By day">
            <DailyUsageChart points={dailyPoints(report.byDay)} />
          </Section>

          <Section id="by-model" title="By model">
            <div className="grid gap-4 lg:grid-cols-2">
              <BreakdownChart
                label="Cost by model"
                unit="usd"
                points={report.byModel.map((m) => ({ label: `${m.model} (${m.provider})`, value: m.costMicroUsd }))}
              />
              <BreakdownChart
                label="Tokens by model"
                unit="tokens"
                points={report.byModel.map((m) => ({ label: `${m.model} (${m.provider})`, value: tokens(m) }))}
              />
            </div>
            <div className="mt-3">
              <BreakdownTable
                caption="Model"
                testId="usage-table"
                rows={report.byModel.map((m) => ({
                  ...m,
                  key: `${m.provider}/${m.model}`,
                  label: (
                    <>
                      {m.model} <span className="text-slate-500">({m.provider})</span>
                    </>
                  ),
                }))}
              />
            </div>
          </Section>

          <Section id="by-feature" title="By feature">
            <BreakdownChart label={chartLabel("feature")} unit={unit} points={report.byFeature.map((f) => ({ label: f.feature, value: measure(f) }))} />
            <div className="mt-3">
              <BreakdownTable caption="Feature" testId="usage-by-feature" rows={report.byFeature.map((f) => ({ ...f, key: f.feature, label: f.feature }))} />
            </div>
          </Section>

          <Section id="by-member" title="By member">
            <BreakdownChart label={chartLabel("member")} unit={unit} points={report.byMember.map((m) => ({ label: memberLabel(m), value: measure(m) }))} />
            <div className="mt-3">
              <BreakdownTable
                caption="Member"
                testId="usage-by-member"
                rows={report.byMember.map((m) => ({ ...m, key: m.userId ?? "jobs", label: memberLabel(m) }))}
              />
            </div>
            {report.memberCaps.length > 0 && quota.memberTokenCap !== null ? (
              <p className="mt-2 text-sm text-slate-600" data-testid="member-caps">
                Per-member cap {formatCount(quota.memberTokenCap)} tokens:{" "}
                {report.memberCaps
                  .map((m) => `${m.name ?? "former member"} ${formatPercent((m.countedTokens + m.reservedTokens) / quota.memberTokenCap!)}`)
                  .join(" · ")}
              </p>
            ) : null}
          </Section>

          <Section id="by-key" title="By API key">
            {report.byApiKey.length === 0 ? (
              <p className="text-sm text-slate-600">No calls through API keys in this period.</p>
            ) : (
              <>
                <BreakdownChart
                  label={chartLabel("API key")}
                  unit={unit}
                  points={report.byApiKey.map((k) => ({ label: k.name ?? k.apiKeyId, value: measure(k) }))}
                />
                <div className="mt-3">
                  <BreakdownTable caption="API key" testId="usage-by-key" rows={report.byApiKey.map((k) => ({ ...k, key: k.apiKeyId, label: keyLabel(k) }))} />
                </div>
              </>
            )}
          </Section>

          {report.quality.length > 0 ? (
            <Section id="quality" title="Structured output quality">
              <ul className="text-sm">
                {report.quality.map((q) => (
                  <li key={`${q.feature}/${q.model}`}>
                    {q.feature} · {q.model}: {q.pass} passed, {q.repaired} repaired, {q.failed} failed
                  </li>
                ))}
              </ul>
            </Section>
          ) : null}
        </>
      )}

      <div className="mt-8">
        <InvoiceSection invoice={report.invoice} />
      </div>
    </>
  );
}
