import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { AlertEpisodes } from "@/components/observability/alert-episodes";
import { ObservabilityBoard } from "@/components/observability/observability-board";
import { ScopePicker } from "@/components/observability/scope-picker";
import { PageHeader } from "@/components/ui/empty-state";
import { findOperator } from "@/lib/auth/operator";
import { listAlertEpisodes } from "@/lib/observability/alerts";
import { readObservability } from "@/lib/observability/metrics";
import { resolveObservabilityScope } from "@/lib/observability/page-scope";
import { listTenantsForOperator } from "@/lib/operator/tenant-plans";
import { formatDateTime } from "@/lib/format/dates";
import { tenantPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Observability" };

export default tenantPage({ role: "member" }, async (ctx, { searchParams }: { searchParams: Promise<{ scope?: string | string[] }> }) => {
  const operator = await findOperator(ctx.userId);
  const { scope: requested } = await searchParams;
  const scope = resolveObservabilityScope(ctx, operator !== null, typeof requested === "string" ? requested : undefined);
  if (!scope) forbidden();
  const [report, tenants, episodes] = await Promise.all([
    readObservability(scope),
    operator ? listTenantsForOperator(operator) : Promise.resolve([]),
    // Alerts are per workspace: the platform view has none of its own.
    scope.kind === "tenant" ? listAlertEpisodes(scope.tenantId) : Promise.resolve(null),
  ]);
  const selected = scope.kind === "platform" ? "platform" : scope.tenantId;
  const tenantName = scope.kind === "tenant" ? (tenants.find((t) => t.id === scope.tenantId)?.name ?? "this workspace") : null;
  const from = formatDateTime(report.window.from);
  const to = formatDateTime(report.window.to);
  return (
    <>
      <PageHeader
        title="Observability"
        description={`${scope.kind === "platform" ? "The whole platform, every workspace together" : operator ? `Workspace: ${tenantName}` : "This workspace"}. Current values cover the ${report.window.label ?? "current window"} (${from} to ${to} UTC) unless a card says otherwise; charts show the last 14 days (UTC).`}
      />
      {operator ? (
        <div className="mb-6">
          <ScopePicker
            selected={selected}
            options={[
              { value: "platform", label: "Whole platform (every workspace)" },
              ...tenants.map((t) => ({ value: t.id, label: `${t.name} (${t.slug})` })),
            ]}
          />
        </div>
      ) : null}
      {episodes ? <AlertEpisodes episodes={episodes} /> : null}
      <ObservabilityBoard report={report} />
    </>
  );
});
