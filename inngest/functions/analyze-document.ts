// analyze-document: extract → clean → chunk → embed in batches → structured analysis (map-reduce
// for long documents) → ready. Each stage is one step over lib/documents/pipeline.ts; the steps
// are idempotent, so a retry or a replay after a crash writes nothing twice.
import { NonRetriableError } from "inngest";
import { isGatewayError } from "@/lib/ai/errors";
import { DocumentRejected } from "@/lib/documents/errors";
import {
  AnalysisStopped,
  analyzeDocument,
  analyzeSection,
  completeAnalysis,
  embedBatch,
  extractAndChunk,
  failAnalysis,
  type AnalysisInput,
} from "@/lib/documents/pipeline";
import type { SectionSummary } from "@/lib/documents/analysis";
import { inngest } from "../client";
import { documentAnalysisCancelled, documentAnalysisRequested, documentUploaded } from "../events";

/**
 * Failures no retry can mend stop the run at once, with the reason on the document: the file
 * itself (corrupt, encrypted, no text), a tenant over its AI quota (a retry storm would only be
 * refused again), or a cancelled job. Everything else is retried with backoff.
 */
async function stage<T>(input: AnalysisInput, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AnalysisStopped) throw new NonRetriableError(error.message);
    if (error instanceof DocumentRejected) {
      await failAnalysis(input, { code: error.code, message: error.message });
      throw new NonRetriableError(error.message);
    }
    if (isGatewayError(error) && error.code === "quota_exceeded") {
      const message = `${error.message} Retry the analysis once the allowance resets or an admin raises the limit.`;
      await failAnalysis(input, { code: "quota_exceeded", message });
      throw new NonRetriableError(message);
    }
    throw error;
  }
}

/**
 * What the document says after the last retry failed: never raw internals. Problems with the file
 * itself never get here (they stop the run at once, named: lib/documents/errors.ts).
 */
function describeFinalFailure(error: unknown): string {
  const detail = isGatewayError(error) ? ` (${error.message})` : "";
  return `The analysis failed after several attempts${detail}. Retry it from the document page; if it keeps failing, ask an admin to check Keel's logs.`;
}

export const analyzeDocumentFunction = inngest.createFunction(
  {
    id: "analyze-document",
    name: "Analyse a document",
    triggers: [documentUploaded, documentAnalysisRequested],
    // One tenant's burst of uploads cannot hold every worker: each tenant runs two at a time.
    concurrency: [{ key: "event.data.tenantId", limit: 2 }],
    // Bigger plans move ahead in the queue (seconds, set at upload from the tenant's plan).
    priority: { run: "event.data.priority" },
    retries: 4,
    cancelOn: [{ event: documentAnalysisCancelled, if: "async.data.jobId == event.data.jobId" }],
    onFailure: async ({ event, error }) => {
      const { tenantId, documentId, jobId, version } = event.data.event.data;
      // A no-op when a stage already recorded why (or the job was cancelled meanwhile).
      await failAnalysis({ tenantId, documentId, jobId, version }, { code: "analysis_failed", message: describeFinalFailure(error) });
    },
  },
  async ({ event, step }) => {
    const input: AnalysisInput = { tenantId: event.data.tenantId, documentId: event.data.documentId, jobId: event.data.jobId, version: event.data.version };
    const prepared = await step.run("extract-and-chunk", () => stage(input, () => extractAndChunk(input)));
    for (const [index, batch] of prepared.batches.entries()) {
      await step.run(`embed-batch-${index}`, () =>
        stage(input, () => embedBatch(input, batch, { index, count: prepared.batches.length, chunkCount: prepared.chunkCount })),
      );
    }
    const sections: SectionSummary[] = [];
    if (prepared.sections.length > 1) {
      for (const [index, section] of prepared.sections.entries()) {
        sections.push(
          await step.run(`summarize-section-${index}`, () => stage(input, () => analyzeSection(input, section, { index, count: prepared.sections.length }))),
        );
      }
    }
    const analysis = await step.run("analyze", () => stage(input, () => analyzeDocument(input, prepared, sections)));
    await step.run("complete", () => stage(input, () => completeAnalysis(input, analysis)));
    return { documentId: input.documentId, chunks: prepared.chunkCount, sections: prepared.sections.length };
  },
);
