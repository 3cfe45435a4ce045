// Starting and stopping document analyses in the job system (Inngest, or the local executor).
// The document and job rows exist already; this hands the work over, and if it cannot, says so on
// the document instead of leaving it queued forever.
import { markAnalysisNotStarted, type AnalysisRequest } from "@/lib/documents/documents";
import { log } from "@/core/log";
import { inngest } from "./client";
import { documentAnalysisCancelled, documentAnalysisRequested, documentUploaded } from "./events";

export async function startAnalysis(request: AnalysisRequest): Promise<void> {
  const name = request.version === 1 ? documentUploaded.name : documentAnalysisRequested.name;
  try {
    await inngest.send({ name, data: request });
  } catch (error) {
    log.error({ err: error, documentId: request.documentId }, "could not send the analysis event");
    await markAnalysisNotStarted(request, "Keel could not start the analysis: its job service did not answer. Retry from the document page in a moment.");
  }
}

export async function stopAnalysis(tenantId: string, documentId: string, jobId: string): Promise<void> {
  try {
    await inngest.send({ name: documentAnalysisCancelled.name, data: { tenantId, documentId, jobId } });
  } catch (error) {
    // The job row is already cancelled: a run that goes on finds it so at its next step and stops.
    log.warn({ err: error, jobId }, "could not send the cancellation event; the run stops at its next step");
  }
}
