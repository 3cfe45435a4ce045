import Link from "next/link";
import type { Metadata } from "next";
import { RenameWorkspaceForm } from "@/components/settings/rename-form";
import { PageHeader } from "@/components/ui/empty-state";
import { requirePageTenant } from "@/lib/auth/page-guard";
import { runtimeSummary } from "@/lib/config/runtime-summary";
import { hasRole } from "@/lib/tenancy/roles";
import { getTenant } from "@/lib/tenancy/tenants";
import { renameTenantAction } from "./actions";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const ctx = await requirePageTenant();
  const tenant = await getTenant(ctx);
  const runtime = runtimeSummary();
  return (
    <>
      <PageHeader title="Settings" />
      <section aria-labelledby="workspace-heading" className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="workspace-heading" className="mb-3 text-lg font-semibold">
          Workspace
        </h2>
        <dl className="mb-4 grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
          <dt className="text-slate-500">Slug</dt>
          <dd className="font-mono">{tenant.slug}</dd>
          <dt className="text-slate-500">Plan</dt>
          <dd className="capitalize">{tenant.plan}</dd>
        </dl>
        {hasRole(ctx.role, "admin") ? <RenameWorkspaceForm action={renameTenantAction} name={tenant.name} /> : <p className="text-sm text-slate-600">Owners and admins can rename the workspace.</p>}
      </section>
      <section aria-labelledby="ai-heading" className="mt-6 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="ai-heading" className="mb-2 text-lg font-semibold">
          AI providers
        </h2>
        <p className="text-sm text-slate-700">{runtime.aiProviders.join(", ")}</p>
      </section>
      <p className="mt-6 text-sm">
        <Link href="/workspaces" className="font-medium text-indigo-700 underline">
          Your workspaces — open or create another
        </Link>
      </p>
    </>
  );
}
