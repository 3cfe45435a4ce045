// analyze-document: extract → clean → chunk → embed in batches → structured analysis (map-reduce
// for long documents) → ready. Each stage is one step over lib/documents/pipeline.ts; the steps
// are idempotent, so a retry or a replay after a crash writes nothing twice. However long the
// document, a run takes at most 3 + MAX_EMBED_STEPS + MAX_SECTION_STEPS steps (503), far from
// Inngest's limit of 1,000: a long document's batches and sections share steps.
import { NonRetriableError } from "inngest";
import { z } from "zod";
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
import { limitErrorNames } from "../local-executor/limits";
import { groupEvenly } from "./step-groups";

export const MAX_EMBED_STEPS = 200;
export const MAX_SECTION_STEPS = 300;

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

const lostTimes = z.object({ times: z.number().int().positive() });

/**
 * What the document says after the last attempt failed: why, when the job system or the gateway
 * says so in words meant for people (`raw` is the run's serialized error); never raw internals.
 */
function describeFinalFailure(error: Error, raw: unknown): string {
  const prefix = "This document could not be processed:";
  switch (error.name) {
    case limitErrorNames.lostProcess: {
      const times = lostTimes.safeParse(raw).data?.times;
      return `${prefix} its analysis stopped or stalled the server process it ran in${times ? ` ${times} times` : ""}, so Keel gave up on it. The file may be damaged, or made to overload the software that reads it.`;
    }
    case limitErrorNames.stepTimeout:
      return `${prefix} a stage of its analysis ran longer than Keel allows, on every attempt. The file may be damaged, or made to overload the software that reads it.`;
    case limitErrorNames.runTimeout:
      return `${prefix} its analysis went on longer than Keel allows for one document. Retry it from the document page.`;
    case limitErrorNames.stepLimit:
    case limitErrorNames.stateSize:
      return `${prefix} it needs more work than one analysis job may do (${error.message}).`;
  }
  const detail = isGatewayError(error) ? ` (${error.message})` : "";
  // Problems with the file itself never get here: they stop the run at once, named (lib/documents/errors.ts).
  return `${prefix} the analysis failed after several attempts${detail}. Retry it from the document page; if it keeps failing, ask an admin to check Keel's logs.`;
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
      await failAnalysis({ tenantId, documentId, jobId, version }, { code: "analysis_failed", message: describeFinalFailure(error, event.data.error) });
    },
  },
  async ({ event, step }) => {
    const input: AnalysisInput = { tenantId: event.data.tenantId, documentId: event.data.documentId, jobId: event.data.jobId, version: event.data.version };
    const prepared = await step.run("extract-and-chunk", () => stage(input, () => extractAndChunk(input)));
    const numbered = <T>(items: T[]) => items.map((item, index) => ({ item, index }));
    // One batch or section per step, as long as that stays within the step budget.
    for (const [group, batches] of groupEvenly(numbered(prepared.batches), MAX_EMBED_STEPS).entries()) {
      await step.run(`embed-batch-${group}`, () =>
        stage(input, async () => {
          for (const { item, index } of batches) await embedBatch(input, item, { index, count: prepared.batches.length, chunkCount: prepared.chunkCount });
        }),
      );
    }
    const sections: SectionSummary[] = [];
    if (prepared.sections.length > 1) {
      for (const [group, parts] of groupEvenly(numbered(prepared.sections), MAX_SECTION_STEPS).entries()) {
        const summaries = await step.run(`summarize-sections-${group}`, () =>
          stage(input, async () => {
            const done: SectionSummary[] = [];
            for (const { item, index } of parts) done.push(await analyzeSection(input, item, { index, count: prepared.sections.length }));
            return done;
          }),
        );
        sections.push(...summaries);
      }
    }
    const analysis = await step.run("analyze", () => stage(input, () => analyzeDocument(input, prepared, sections)));
    await step.run("complete", () => stage(input, () => completeAnalysis(input, analysis)));
    return { documentId: input.documentId, chunks: prepared.chunkCount, sections: prepared.sections.length };
  },
);
