// Every event Keel sends, typed and validated: past-tense facts (`document/uploaded`), each with
// the tenant it belongs to, so functions run every side effect in that tenant's scope.
import { eventType } from "inngest";
import { z } from "zod";

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
