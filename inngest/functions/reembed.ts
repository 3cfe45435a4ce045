// reembed: brings a scope's chunks (one document, a collection, a whole tenant) onto the tenant's
// embedding model, blue/green per document (lib/documents/reembed/switch-over.ts). Tenant-wide runs
// above KEEL_REEMBED_BATCH_MIN_CHUNKS go through the provider's batch API first, polled durably
// with step.sleep; whatever is left (or everything, when the API is unavailable) goes online in
// steps of one gateway call each. Every step is idempotent and takes what is still pending, so a
// retry or a replay after a crash writes nothing twice. One run per tenant at a time: a big
// tenant's run holds one slot and moves a step at a time, so it cannot starve the others.
import { NonRetriableError } from "inngest";
import { isGatewayError } from "@/lib/ai/errors";
import { failReembed, finishReembed, ReembedCannotContinue, ReembedStopped } from "@/lib/documents/reembed/lifecycle";
import { embedNextBatch } from "@/lib/documents/reembed/online";
import { planReembed } from "@/lib/documents/reembed/plan";
import { applyReembedBatch, pollReembedBatch, submitReembedBatch } from "@/lib/documents/reembed/provider-batch";
import { batchPollDelaySeconds, maxBatchPolls } from "@/lib/documents/reembed/settings";
import { uuidFromName, type ReembedInput } from "@/lib/documents/reembed/types";
import { inngest } from "../client";
import { embeddingsReembedCancelled, embeddingsReembedRequested } from "../events";

/** Provider batches per run (each up to KEEL_REEMBED_BATCH_MAX_REQUESTS chunks); the rest goes online. */
const MAX_BATCH_ROUNDS = 20;

/**
 * Steps (runs and sleeps) one run may take, well under Inngest's limit of 1,000: a batch round is
 * started only if its worst case (every poll of a 24-hour batch) fits, online steps stop short of
 * it, and what is left is handed over to a fresh run. The last two are for "finish"/"hand-over".
 */
export const REEMBED_STEP_BUDGET = 900;

/** A batch round's steps when its batch takes every poll: submit, each wait and poll, apply. */
export const batchRoundSteps = (polls: number) => 2 + 2 * polls;

/** The job a run reports on: the requested one, or for a scheduled run the one named by its event. */
function reembedJobId(input: Pick<ReembedInput, "tenantId" | "jobId" | "origin">): string {
  return input.jobId ?? uuidFromName(`reembed-job:${input.tenantId}:${input.origin}`);
}

/** Failures no retry can mend end the run at once, with the reason on the job. Others are retried. */
async function stage<T>(input: ReembedInput, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReembedStopped) throw new NonRetriableError(error.message);
    if (error instanceof ReembedCannotContinue) {
      await failReembed({ tenantId: input.tenantId, jobId: reembedJobId(input) }, error.message);
      throw new NonRetriableError(error.message);
    }
    if (isGatewayError(error) && error.code === "quota_exceeded") {
      const message = `${error.message} Documents keep their current vectors; the re-embedding continues once the allowance allows.`;
      await failReembed({ tenantId: input.tenantId, jobId: reembedJobId(input) }, message);
      throw new NonRetriableError(message);
    }
    throw error;
  }
}

export const reembedFunction = inngest.createFunction(
  {
    id: "reembed",
    name: "Re-embed documents",
    triggers: [embeddingsReembedRequested],
    concurrency: [{ key: "event.data.tenantId", limit: 1 }],
    retries: 4,
    cancelOn: [{ event: embeddingsReembedCancelled, if: "async.data.jobId == event.data.jobId" }],
    onFailure: async ({ event, error }) => {
      const original = event.data.event;
      const input = { tenantId: original.data.tenantId, jobId: original.data.jobId ?? null, origin: original.id ?? "" };
      const detail = isGatewayError(error) ? ` (${error.message})` : "";
      await failReembed(
        { tenantId: input.tenantId, jobId: reembedJobId(input) },
        `The re-embedding failed after several attempts${detail}. Documents keep their current vectors; the next scheduled run resumes it, or roll it back in Settings.`,
      );
    },
  },
  async ({ event, step, runId }) => {
    const input: ReembedInput = {
      tenantId: event.data.tenantId,
      scope: event.data.scope,
      jobId: event.data.jobId ?? null,
      origin: event.id ?? runId,
      mode: event.data.mode ?? "auto",
    };
    const run = await step.run("plan", () => stage(input, () => planReembed(input)));
    if (!run) return { reembedded: false };
    const staged = { ...input, jobId: run.jobId };
    let steps = 1;
    const budgetLeft = () => REEMBED_STEP_BUDGET - 2 - steps;

    if (run.mode === "batch") {
      const polls = maxBatchPolls(run.settings);
      for (let round = 0; round < MAX_BATCH_ROUNDS && budgetLeft() >= batchRoundSteps(polls); round++) {
        const submitted = await step.run(`batch-submit-${round}`, () => stage(staged, () => submitReembedBatch(run, round)));
        steps++;
        if (submitted.kind !== "submitted") break;
        let finished = false;
        for (let poll = 0; poll < polls && !finished; poll++) {
          await step.sleep(`batch-wait-${round}-${poll}`, `${batchPollDelaySeconds(run.settings, poll)}s`);
          finished = (await step.run(`batch-poll-${round}-${poll}`, () => stage(staged, () => pollReembedBatch(run, submitted)))).finished;
          steps += 2;
        }
        const applied = await step.run(`batch-apply-${round}`, () => stage(staged, () => applyReembedBatch(run, submitted, finished)));
        steps++;
        // A batch that did not do all it was given (expired, failed lines, given up on): the rest
        // goes online rather than into another batch that may fare the same.
        if (applied.failed > 0) break;
      }
    }

    let remaining = run.totalChunks;
    for (let index = 0; index < run.settings.maxOnlineSteps && remaining > 0 && budgetLeft() > 0; index++) {
      remaining = (await step.run(`embed-batch-${index}`, () => stage(staged, () => embedNextBatch(run)))).remaining;
      steps++;
    }
    if (remaining > 0) {
      // More than one run's worth of steps: a fresh run of the same job goes on (after this one ends).
      await step.sendEvent("hand-over", {
        name: embeddingsReembedRequested.name,
        data: { tenantId: run.tenantId, scope: run.scope, jobId: run.jobId, mode: input.mode },
      });
      return { reembedded: true, handedOver: true };
    }
    const finished = await step.run("finish", () => stage(staged, () => finishReembed(run)));
    return { reembedded: true, ...finished };
  },
);
