// Runs the real analyze-document function in-process with @inngest/test (every step executes
// against the real database, storage and offline models), for tests of the document pipeline.
import { randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { eq } from "drizzle-orm";
import { documentChunks, documents, jobEvents, jobs, notifications, usageEvents } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { analyzeDocumentFunction } from "@/inngest/functions/analyze-document";
import type { AnalysisRequest } from "@/lib/documents/documents";

/** Runs the analysis to its end (or its first non-retriable failure); returns the run's outcome. */
export async function runAnalysis(request: AnalysisRequest) {
  const engine = new InngestTestEngine({ function: analyzeDocumentFunction });
  const name = request.version === 1 ? "document/uploaded" : "document/analysis.requested";
  const { result, error } = await engine.execute({ events: [{ id: randomUUID(), name, data: request, ts: Date.now() }] });
  return { result, error };
}

/** Everything stored about a document, read across tenants (tests only). */
export function documentState(documentId: string) {
  return withSystem("test: read a document's state", async (tx) => {
    const [document] = await tx.select().from(documents).where(eq(documents.id, documentId));
    const chunks = await tx.select().from(documentChunks).where(eq(documentChunks.documentId, documentId)).orderBy(documentChunks.chunkIndex);
    const documentJobs = await tx.select().from(jobs).where(eq(jobs.documentId, documentId));
    const history = documentJobs.length ? await tx.select().from(jobEvents).where(eq(jobEvents.jobId, documentJobs[0]!.id)).orderBy(jobEvents.createdAt) : [];
    return { document, chunks, jobs: documentJobs, history };
  });
}

export function notificationsOf(userId: string) {
  return withSystem("test: read notifications", (tx) => tx.select().from(notifications).where(eq(notifications.userId, userId)));
}

export function usageOf(tenantId: string) {
  return withSystem("test: read usage", (tx) => tx.select().from(usageEvents).where(eq(usageEvents.tenantId, tenantId)));
}
