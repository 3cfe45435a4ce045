import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui/empty-state";
import { requirePageTenant } from "@/lib/auth/page-guard";

export const metadata: Metadata = { title: "Documents" };

export default async function DocumentsPage() {
  await requirePageTenant();
  return (
    <>
      <PageHeader title="Documents" description="Files your workspace's answers are grounded in, analysed in the background." />
      <EmptyState title="No documents yet">Uploads arrive with background analysis jobs.</EmptyState>
    </>
  );
}
