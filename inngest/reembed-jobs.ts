// Starting and stopping re-embeddings in the job system (Inngest, or the local executor). The job
// row exists already; this hands the run over, and if it cannot, says so on the job.
import { markReembedNotStarted, type ReembedRequest } from "@/lib/documents/reembed/lifecycle";
import { log } from "@/core/log";
import { inngest } from "./client";
import { embeddingsReembedCancelled, embeddingsReembedRequested } from "./events";

export async function startReembed(request: ReembedRequest): Promise<boolean> {
  try {
    await inngest.send({ name: embeddingsReembedRequested.name, data: { tenantId: request.tenantId, scope: request.scope, jobId: request.jobId } });
    return true;
  } catch (error) {
    log.error({ err: error, jobId: request.jobId }, "could not send the re-embed event");
    await markReembedNotStarted(request, "Keel could not start the re-embedding: its job service did not answer. Try again in a moment.");
    return false;
  }
}

export async function stopReembeds(tenantId: string, jobIds: readonly string[]): Promise<void> {
  for (const jobId of jobIds) {
    try {
      await inngest.send({ name: embeddingsReembedCancelled.name, data: { tenantId, jobId } });
    } catch (error) {
      // The job row is already cancelled: a run that goes on finds it so at its next step and stops.
      log.warn({ err: error, jobId }, "could not send the re-embed cancellation; the run stops at its next step");
    }
  }
}
