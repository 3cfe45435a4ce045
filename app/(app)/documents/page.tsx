import type { Metadata } from "next";
import { DocumentList, type ListedDocument } from "@/components/documents/document-list";
import { DocumentUploader } from "@/components/documents/uploader";
import { EmptyState, PageHeader } from "@/components/ui/empty-state";
import { requirePageTenant } from "@/lib/auth/page-guard";
import { listCollections } from "@/lib/documents/collections";
import { listDocuments, storageUsed } from "@/lib/documents/documents";
import { documentLimitsFromEnv } from "@/lib/documents/limits";
import { hasRole } from "@/lib/tenancy/roles";
import { cancelAnalysisAction, deleteDocumentAction, reanalyzeDocumentAction } from "./actions";

export const metadata: Metadata = { title: "Documents" };
export const dynamic = "force-dynamic";

export default async function DocumentsPage() {
  const ctx = await requirePageTenant();
  const limits = documentLimitsFromEnv();
  const [collections, documents, usedBytes] = await Promise.all([listCollections(ctx), listDocuments(ctx), storageUsed(ctx)]);
  const listed: ListedDocument[] = documents.map((d) => ({
    id: d.id,
    name: d.name,
    kind: d.kind,
    sizeBytes: d.sizeBytes,
    status: d.status,
    error: d.error,
    collectionName: d.collectionName,
    createdAt: d.createdAt.toISOString(),
    job: d.job,
    canDelete: d.uploadedBy === ctx.userId || hasRole(ctx.role, "admin"),
  }));
  return (
    <>
      <PageHeader
        title="Documents"
        description="Files your workspace's answers are grounded in. Each upload is analysed in the background: read, split into passages, embedded and summarised."
      />
      <DocumentUploader
        collections={collections.map((c) => ({ id: c.id, name: c.name }))}
        maxFileBytes={limits.maxFileBytes}
        storage={{ usedBytes, limitBytes: limits.tenantStorageBytes }}
      />
      {listed.length === 0 ? (
        <EmptyState title="No documents yet">Upload a PDF, Word, Markdown, text or HTML file to get its analysis and to ground chat answers in it.</EmptyState>
      ) : (
        <DocumentList documents={listed} actions={{ cancel: cancelAnalysisAction, retry: reanalyzeDocumentAction, remove: deleteDocumentAction }} />
      )}
    </>
  );
}
