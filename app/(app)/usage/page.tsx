import Link from "next/link";
import type { Metadata } from "next";
import { PageHeader } from "@/components/ui/empty-state";
import { AdminUsage } from "@/components/usage/admin-usage";
import { MemberUsage } from "@/components/usage/member-usage";
import { PeriodPicker } from "@/components/usage/period-picker";
import { addMonths, periodLabel, periodOf, periodParamSchema } from "@/lib/billing/periods";
import { formatCount, formatUsd } from "@/lib/usage/format";
import { getMemberUsageReport } from "@/lib/usage/member-report";
import { listUsagePeriods } from "@/lib/usage/periods";
import { getAdminUsageReport } from "@/lib/usage/report";
import { hasRole } from "@/lib/tenancy/roles";
import { formatDate } from "@/lib/format/dates";
import { tenantPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Usage" };

const limitText = (n: number | null, format: (n: number) => string) => (n === null ? "no limit" : format(n));
const tokensText = (n: number) => `${formatCount(n)} tokens`;

export default tenantPage({ role: "member" }, async (ctx, { searchParams }: { searchParams: Promise<{ period?: string | string[] }> }) => {
  const now = new Date();
  const current = periodOf(now);
  const { period } = await searchParams;
  const parsed = periodParamSchema.safeParse(typeof period === "string" ? period : undefined);
  const selected = parsed.success ? parsed.data : current;
  const periods = await listUsagePeriods(ctx, now);
  if (!periods.includes(selected)) periods.push(selected);
  periods.sort().reverse();
  const description = `${periodLabel(selected)} (UTC)${selected === current ? `; limits reset on ${formatDate(`${addMonths(selected, 1)}T00:00:00Z`)}` : ""}.`;

  if (!hasRole(ctx.role, "admin")) {
    const report = await getMemberUsageReport(ctx, selected, now);
    return (
      <>
        <PageHeader title="Your usage" description={`${periodLabel(selected)} (UTC). Your own model calls in this workspace.`} />
        <div className="mb-6">
          <PeriodPicker periods={periods} selected={selected} current={current} />
        </div>
        <MemberUsage report={report} />
      </>
    );
  }

  const report = await getAdminUsageReport(ctx, selected, now);
  const { quota } = report;
  const planLine = {
    tokens: `Plan (${quota.plan}): ${limitText(quota.allowance.monthlyTokens, tokensText)} · your limit: ${quota.ownTokenLimit === null ? "the plan's" : tokensText(quota.ownTokenLimit)}.`,
    usd: `Plan (${quota.plan}): ${limitText(quota.allowance.monthlyMicroUsd, formatUsd)} · your limit: ${quota.ownMicroUsdLimit === null ? "the plan's" : formatUsd(quota.ownMicroUsdLimit)}.`,
  };
  return (
    <>
      <PageHeader title="Usage" description={`${description} Every model call is metered, including cache hits and API calls.`} />
      <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
        <PeriodPicker periods={periods} selected={selected} current={current} />
        <p className="text-sm">
          <Link href="/settings#limits-heading" className="font-medium text-indigo-700 underline">
            Change limits
          </Link>{" "}
          ·{" "}
          <Link href="/audit" className="font-medium text-indigo-700 underline">
            Audit log
          </Link>
        </p>
      </div>
      <AdminUsage report={report} planLine={planLine} />
    </>
  );
});
