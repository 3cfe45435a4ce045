import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui/empty-state";
import { requirePageTenant } from "@/lib/auth/page-guard";
import { hasRole } from "@/lib/tenancy/roles";

export const metadata: Metadata = { title: "Usage" };

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
  return (
    <>
      <PageHeader title="Usage" description="Tokens, cost and quotas for this workspace." />
      <EmptyState title="No model calls yet">Usage appears here once the AI gateway meters its first call.</EmptyState>
    </>
  );
}
