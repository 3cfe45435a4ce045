// Every event Keel sends, typed and validated: past-tense facts (`document/uploaded`), each with
// the tenant it belongs to, so functions run every side effect in that tenant's scope.
import { eventType } from "inngest";
import { z } from "zod";
import { reembedScopeSchema } from "@/lib/documents/reembed/types";

const tenantScoped = { tenantId: z.uuid() };

/** A new document's original is stored: analyse it. */
export const documentUploaded = eventType("document/uploaded", {
  schema: z.object({ ...tenantScoped, documentId: z.uuid(), jobId: z.uuid(), version: z.int().positive(), priority: z.int().min(-600).max(600) }),
});

/** Someone asked to analyse a document again (re-analyse, or retry after a failure). */
export const documentAnalysisRequested = eventType("document/analysis.requested", {
  schema: z.object({ ...tenantScoped, documentId: z.uuid(), jobId: z.uuid(), version: z.int().positive(), priority: z.int().min(-600).max(600) }),
});

/** Someone cancelled a running analysis. */
export const documentAnalysisCancelled = eventType("document/analysis.cancelled", {
  schema: z.object({ ...tenantScoped, documentId: z.uuid(), jobId: z.uuid() }),
});

/**
 * Re-embed what is stale in a scope (one document, a collection, the whole tenant): sent by the
 * 15-minute schedule per tenant, by an admin from Settings (with the job already made), or by a run
 * handing over to a fresh one.
 */
export const embeddingsReembedRequested = eventType("embeddings/reembed.requested", {
  schema: z.object({ ...tenantScoped, scope: reembedScopeSchema, jobId: z.uuid().optional(), mode: z.enum(["auto", "online"]).optional() }),
});

/** An admin rolled a re-embedding back (or cancelled it): its run stops. */
export const embeddingsReembedCancelled = eventType("embeddings/reembed.cancelled", {
  schema: z.object({ ...tenantScoped, jobId: z.uuid() }),
});

/** A webhook delivery (lib/webhooks/deliveries.ts) was recorded and waits for its job. */
export const webhookDeliveryRequested = eventType("webhook/delivery.requested", {
  schema: z.object({ ...tenantScoped, deliveryId: z.uuid() }),
});

/** An owner asked for an export of the workspace (its job and row exist already). */
export const workspaceExportRequested = eventType("workspace/export.requested", {
  schema: z.object({ ...tenantScoped, userId: z.uuid(), jobId: z.uuid() }),
});
