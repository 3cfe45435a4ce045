import Link from "next/link";
import type { Metadata } from "next";
import { ActionForm } from "@/components/ui/action-form";
import { PageHeader } from "@/components/ui/empty-state";
import { planTiers, type PlanTier } from "@/db/schema";
import { planAllowances } from "@/lib/ai/plans";
import { formatUsd } from "@/lib/ai/usage-report";
import { listTenantsForOperator, OPERATOR_PAGE_SIZE } from "@/lib/operator/tenant-plans";
import { changeTenantPlanAction } from "./actions";
import { operatorPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Operator" };

const number = new Intl.NumberFormat("en");
function allowanceText(plan: PlanTier): string {
  const { monthlyTokens, monthlyMicroUsd } = planAllowances[plan];
  if (monthlyTokens === null && monthlyMicroUsd === null) return "no monthly limit";
  return `${limitText(monthlyTokens, (n) => `${number.format(n)} tokens`)} and ${limitText(monthlyMicroUsd, formatUsd)} a month`;
}
const limitText = (value: number | null, format: (n: number) => string) => (value === null ? "no limit" : format(value));

/** Platform operators (KEEL_OPERATOR_EMAILS): every tenant, its plan and this month's usage; plan changes. */
export default operatorPage(async (operator) => {
  const tenants = await listTenantsForOperator(operator);
  return (
    <main className="mx-auto w-full max-w-6xl px-4 py-10">
      <PageHeader
        title="Operator"
        description={`Signed in as ${operator.email}. Plan changes apply at once, to this month's limits too, and are recorded in the workspace's audit log.`}
      />
      <p className="mb-4 text-sm">
        <Link href="/observability?scope=platform" className="font-medium text-indigo-700 underline">
          Observability
        </Link>{" "}
        <span className="text-slate-600">for the whole platform or any one workspace.</span>
      </p>
      <ul className="mb-6 text-sm text-slate-600">
        {planTiers.map((plan) => (
          <li key={plan}>
            <span className="font-medium capitalize">{plan}</span>: {allowanceText(plan)}
          </li>
        ))}
      </ul>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th className="p-2 font-medium">Workspace</th>
              <th className="p-2 font-medium">Members</th>
              <th className="p-2 font-medium">Tokens this month</th>
              <th className="p-2 font-medium">Spend this month</th>
              <th className="p-2 font-medium">Plan</th>
            </tr>
          </thead>
          <tbody data-testid="operator-tenants">
            {tenants.map((tenant) => (
              <tr key={tenant.id} className="border-t border-slate-100 align-top">
                <td className="p-2">
                  <span className="font-medium">{tenant.name}</span> <span className="font-mono text-xs text-slate-500">{tenant.slug}</span>
                </td>
                <td className="p-2">{number.format(tenant.members)}</td>
                <td className="p-2">
                  {number.format(tenant.usedTokens)} <span className="text-slate-500">of {limitText(tenant.tokenLimit, (n) => number.format(n))}</span>
                </td>
                <td className="p-2">
                  {formatUsd(tenant.usedMicroUsd)} <span className="text-slate-500">of {limitText(tenant.microUsdLimit, formatUsd)}</span>
                </td>
                <td className="p-2">
                  <ActionForm action={changeTenantPlanAction} hidden={{ tenantId: tenant.id }} submitLabel="Change plan" label={`Plan of ${tenant.name}`}>
                    <label className="sr-only" htmlFor={`plan-${tenant.id}`}>
                      Plan of {tenant.name}
                    </label>
                    <select
                      id={`plan-${tenant.id}`}
                      name="plan"
                      defaultValue={tenant.plan}
                      className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm capitalize"
                    >
                      {planTiers.map((plan) => (
                        <option key={plan} value={plan}>
                          {plan}
                        </option>
                      ))}
                    </select>
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {tenants.length === OPERATOR_PAGE_SIZE ? <p className="mt-2 text-sm text-slate-600">Showing the first {OPERATOR_PAGE_SIZE} workspaces by name.</p> : null}
      <p className="mt-6 text-sm">
        <Link href="/workspaces" className="font-medium text-indigo-700 underline">
          Your workspaces
        </Link>
      </p>
    </main>
  );
});
