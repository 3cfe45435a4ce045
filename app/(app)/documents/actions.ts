"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { startAnalysis, stopAnalysis } from "@/inngest/analysis-jobs";
import { collectionNameSchema, createCollection, deleteCollection, moveDocument, renameCollection } from "@/lib/documents/collection-admin";
import { cancelAnalysis, deleteDocument, requestReanalysis } from "@/lib/documents/documents";
import { tenantAction } from "@/lib/http/tenant-action";
import { markNotificationsRead } from "@/lib/notifications/notifications";

const documentIdSchema = z.object({ documentId: z.uuid("Unknown document.") });

export const reanalyzeDocumentAction = tenantAction(documentIdSchema, { role: "member" }, async ({ documentId }, ctx) => {
  await startAnalysis(await requestReanalysis(ctx, documentId));
  revalidatePath("/documents");
  revalidatePath(`/documents/${documentId}`);
  return { ok: true, message: "Analysis started." };
});

export const cancelAnalysisAction = tenantAction(documentIdSchema, { role: "member" }, async ({ documentId }, ctx) => {
  const { jobId } = await cancelAnalysis(ctx, documentId);
  await stopAnalysis(ctx.tenantId, documentId, jobId);
  revalidatePath("/documents");
  revalidatePath(`/documents/${documentId}`);
  return { ok: true, message: "Analysis cancelled." };
});

export const deleteDocumentAction = tenantAction(
  documentIdSchema.extend({ from: z.enum(["list", "page"]).default("list") }),
  { role: "member" },
  async ({ documentId, from }, ctx) => {
    const { cancelledJobId } = await deleteDocument(ctx, documentId);
    if (cancelledJobId) await stopAnalysis(ctx.tenantId, documentId, cancelledJobId);
    revalidatePath("/documents");
    if (from === "page") redirect("/documents");
    return { ok: true, message: "Document deleted." };
  },
);

export const markNotificationsReadAction = tenantAction(
  z.object({ notificationId: z.uuid().optional() }),
  { role: "member" },
  async ({ notificationId }, ctx) => {
    await markNotificationsRead(ctx, notificationId ?? null);
    revalidatePath("/", "layout");
  },
);

const collectionIdSchema = z.object({ collectionId: z.uuid("Unknown collection.") });

export const createCollectionAction = tenantAction(z.object({ name: collectionNameSchema }), { role: "admin" }, async ({ name }, ctx) => {
  await createCollection(ctx, name);
  revalidatePath("/documents");
  return { ok: true, message: `Collection “${name}” created.` };
});

export const renameCollectionAction = tenantAction(
  collectionIdSchema.extend({ name: collectionNameSchema }),
  { role: "admin" },
  async ({ collectionId, name }, ctx) => {
    await renameCollection(ctx, collectionId, name);
    revalidatePath("/documents");
    return { ok: true, message: "Collection renamed." };
  },
);

export const deleteCollectionAction = tenantAction(collectionIdSchema, { role: "admin" }, async ({ collectionId }, ctx) => {
  const { documentCount, cancelledJobs } = await deleteCollection(ctx, collectionId);
  for (const job of cancelledJobs) await stopAnalysis(ctx.tenantId, job.documentId, job.jobId);
  revalidatePath("/documents");
  return { ok: true, message: `Collection deleted with ${documentCount} document${documentCount === 1 ? "" : "s"}.` };
});

export const moveDocumentAction = tenantAction(
  documentIdSchema.extend(collectionIdSchema.shape),
  { role: "member" },
  async ({ documentId, collectionId }, ctx) => {
    await moveDocument(ctx, documentId, collectionId);
    revalidatePath("/documents");
    revalidatePath(`/documents/${documentId}`);
    return { ok: true, message: "Document moved." };
  },
);
