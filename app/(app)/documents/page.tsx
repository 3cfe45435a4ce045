import type { Metadata } from "next";
import { CollectionsPanel } from "@/components/documents/collections-panel";
import { DocumentList, type ListedDocument } from "@/components/documents/document-list";
import { DocumentUploader } from "@/components/documents/uploader";
import { EmptyState, PageHeader } from "@/components/ui/empty-state";
import { listCollectionsWithCounts } from "@/lib/documents/collections";
import { mayManageDocument } from "@/lib/documents/document-permissions";
import { listDocuments, storageUsed } from "@/lib/documents/documents";
import { documentLimitsFromEnv } from "@/lib/documents/limits";
import { hasRole } from "@/lib/tenancy/roles";
import { z } from "zod";
import {
  cancelAnalysisAction,
  createCollectionAction,
  deleteCollectionAction,
  deleteDocumentAction,
  moveDocumentAction,
  reanalyzeDocumentAction,
  renameCollectionAction,
} from "./actions";
import { tenantPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Documents" };
export const dynamic = "force-dynamic";

export default tenantPage({ role: "member" }, async (ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) => {
  const limits = documentLimitsFromEnv();
  const requested = z.uuid().safeParse((await searchParams).collection);
  const collections = await listCollectionsWithCounts(ctx);
  // An unknown or foreign id shows everything rather than an empty page that looks like data loss.
  const selected = requested.success ? (collections.find((c) => c.id === requested.data) ?? null) : null;
  const [documents, usedBytes] = await Promise.all([listDocuments(ctx, { collectionId: selected?.id ?? null }), storageUsed(ctx)]);
  const listed: ListedDocument[] = documents.map((d) => ({
    id: d.id,
    name: d.name,
    kind: d.kind,
    sizeBytes: d.sizeBytes,
    status: d.status,
    error: d.error,
    collectionId: d.collectionId,
    collectionName: d.collectionName,
    createdAt: d.createdAt.toISOString(),
    job: d.job,
    canManage: mayManageDocument(ctx, d),
  }));
  return (
    <>
      <PageHeader
        title="Documents"
        description="Files your workspace's answers are grounded in. Each upload is analysed in the background: read, split into passages, embedded and summarised."
      />
      <DocumentUploader
        key={selected?.id ?? "all"}
        collections={collections.map((c) => ({ id: c.id, name: c.name }))}
        initialCollectionId={selected?.id}
        maxFileBytes={limits.maxFileBytes}
        storage={{ usedBytes, limitBytes: limits.tenantStorageBytes }}
      />
      <CollectionsPanel
        collections={collections.map((c) => ({ id: c.id, name: c.name, isDefault: c.isDefault, documentCount: c.documentCount }))}
        selectedId={selected?.id ?? null}
        canManage={hasRole(ctx.role, "admin")}
        actions={{ create: createCollectionAction, rename: renameCollectionAction, remove: deleteCollectionAction }}
      />
      <DocumentList
        documents={listed}
        collections={collections.map((c) => ({ id: c.id, name: c.name }))}
        selectedCollectionId={selected?.id ?? null}
        actions={{ cancel: cancelAnalysisAction, retry: reanalyzeDocumentAction, remove: deleteDocumentAction, move: moveDocumentAction }}
        empty={
          selected ? (
            <EmptyState title={`No documents in “${selected.name}”`}>Upload into this collection, or move documents here from another one.</EmptyState>
          ) : (
            <EmptyState title="No documents yet">
              Upload a PDF, Word, Markdown, text or HTML file to get its analysis and to ground chat answers in it.
            </EmptyState>
          )
        }
      />
    </>
  );
});
