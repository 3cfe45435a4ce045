// Keel's own functions on the local executor, with no Inngest server configured: documents sent
// through the app's real send path (startAnalysis → inngest.send) are analysed to ready by the
// app's serve() handler; a file that cannot be read, and a storage failure that outlasts every
// retry (onFailure), end `failed` with their reason; a cancellation stops the run; and the crons
// (the expired-reservation sweep of issue 7, the sign-in counter purge) fire on their schedules.
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { eq, like } from "drizzle-orm";
import type { NextRequest } from "next/server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localExecutorCrons } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { startAnalysis, stopAnalysis } from "@/inngest/analysis-jobs";
import { jobRuntime } from "@/core/job-runtime";
import { inngestHandler } from "@/inngest/serve-handler";
import { getGateway } from "@/lib/ai";
import { admit } from "@/lib/ai/quota";
import { readTenantProfile } from "@/lib/ai/tenant-profile";
import { admitAttempt, throttleKey } from "@/lib/auth/attempt-throttle";
import { cancelAnalysis } from "@/lib/documents/documents";
import { acceptUpload } from "@/lib/documents/upload";
import { storageDirectory } from "@/lib/storage";
import { corruptPdf, makePdf } from "@/test/document-fixtures";
import { documentState } from "@/test/documents-harness";
import { createTenant } from "@/test/fixtures";
import { quotaRow } from "@/test/gateway-harness";
import { eventually, runsOf, serveHandler, startExecutor, stopExecutors } from "@/test/local-executor-harness";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/index";
import { scheduleReembedsEvery15Minutes } from "@/inngest/functions/schedule-reembeds";
import { startReembed } from "@/inngest/reembed-jobs";
import { jobs } from "@/db/schema";
import { requestReembed } from "@/lib/documents/reembed/lifecycle";
import { startFakeOpenAI } from "@/test/fakes/fake-llm-server";
import { usageOf } from "@/test/documents-harness";
import { chunkRows, restoreGatewayEnv, setReembedEnv, switchToFakeOpenAI } from "@/test/reembed-harness";

const handler = (request: Request) => inngestHandler(request as NextRequest, undefined);
// Retry backoff (10 s, 20 s, 40 s, 80 s) at a thousandth.
const fast = { settings: { sleepScale: 0.001 } };
const paragraphs = (topic: string) => Array.from({ length: 6 }, (_, i) => `Paragraph ${i} on how the ${topic} team plans its quarterly maintenance windows.`);
const runOfDocument = async (documentId: string) => (await runsOf("keel-analyze-document")).find((run) => run.event.data.documentId === documentId);
/** The document's run once it has finished (the document's own state changes a step earlier). */
const finishedRunOfDocument = (documentId: string) =>
  eventually(async () => {
    const run = await runOfDocument(documentId);
    return run?.status !== "active" && run;
  });

// One tenant for the document tests, made (and the database opened) before the clock starts.
let owner: Awaited<ReturnType<typeof createTenant>>;
beforeAll(async () => {
  owner = await createTenant("Executor docs");
});
afterEach(stopExecutors);
afterAll(async () => {
  await stopExecutors();
  await getGateway().flush();
});

describe("document analysis on the local executor", () => {
  it("needs no Inngest server: the test environment configures none", () => {
    expect(jobRuntime(process.env).kind).toBe("local-executor");
  });

  it("takes an uploaded PDF to ready through the app's serve handler", async () => {
    await startExecutor(handler, fast);
    const { document, request } = await acceptUpload(owner, {
      fileName: "plan.pdf",
      bytes: await makePdf([{ heading: "Plan", paragraphs: paragraphs("turbine") }]),
      collectionId: null,
    });
    await startAnalysis(request);
    await eventually(async () => (await documentState(document.id)).document?.status === "ready");
    const state = await documentState(document.id);
    expect(state.jobs[0]).toMatchObject({ status: "succeeded", stage: "ready" });
    expect(state.chunks.length).toBeGreaterThan(0);
    expect(await finishedRunOfDocument(document.id)).toMatchObject({
      status: "completed",
      output: { documentId: document.id },
      concurrencyKeys: [`fn:keel-analyze-document:"${owner.tenantId}"`],
      concurrencyLimits: [2],
    });
  });

  it("fails a file it cannot read with its reason, at once", async () => {
    await startExecutor(handler, fast);
    const { document, request } = await acceptUpload(owner, { fileName: "broken.pdf", bytes: await corruptPdf(), collectionId: null });
    await startAnalysis(request);
    await eventually(async () => (await documentState(document.id)).document?.status === "failed");
    expect((await documentState(document.id)).document).toMatchObject({ errorCode: "corrupt", error: expect.stringMatching(/damaged/) });
    expect(await finishedRunOfDocument(document.id)).toMatchObject({ status: "failed", attempt: 0, error: { name: "NonRetriableError" } });
  });

  it("marks the document failed through onFailure when a failure outlasts every retry", async () => {
    const { document, request } = await acceptUpload(owner, {
      fileName: "lost.pdf",
      bytes: await makePdf([{ paragraphs: paragraphs("storage") }]),
      collectionId: null,
    });
    // The stored original turns into a directory: every read fails (EISDIR), which a retry might mend.
    const original = path.join(storageDirectory(), ...document.storageKey.split("/"));
    await rm(original);
    await mkdir(original);
    await startExecutor(handler, fast);
    await startAnalysis(request);
    await eventually(async () => (await documentState(document.id)).document?.status === "failed");
    const state = await documentState(document.id);
    expect(state.document).toMatchObject({ errorCode: "analysis_failed", error: expect.stringMatching(/failed after several attempts/) });
    expect(state.jobs[0]).toMatchObject({ status: "failed" });
    const run = await finishedRunOfDocument(document.id);
    expect(run).toMatchObject({ status: "failed", maxAttempts: 5 });
    const failureRun = await eventually(async () =>
      (await runsOf("keel-analyze-document-failure")).find((r) => r.event.data.run_id === run.id && r.status !== "active"),
    );
    expect(failureRun).toMatchObject({ status: "completed" });
  });

  it("stops a run when the analysis is cancelled (cancelOn with the job id)", async () => {
    const pages = Array.from({ length: 40 }, (_, p) => ({ heading: `Part ${p}`, paragraphs: paragraphs(`fleet ${p}`) }));
    const { document, request } = await acceptUpload(owner, { fileName: "long.pdf", bytes: await makePdf(pages), collectionId: null });
    const other = await acceptUpload(owner, { fileName: "other.pdf", bytes: await makePdf([{ paragraphs: paragraphs("other") }]), collectionId: null });
    await startAnalysis(request);
    await startAnalysis(other.request);
    const { jobId } = await cancelAnalysis(owner, document.id);
    await stopAnalysis(owner.tenantId, document.id, jobId);
    await startExecutor(handler, fast);
    await eventually(async () => (await documentState(other.document.id)).document?.status === "ready");
    expect(await finishedRunOfDocument(document.id)).toMatchObject({ status: "cancelled" });
    expect((await documentState(document.id)).document).toMatchObject({ status: "cancelled" });
    expect(await finishedRunOfDocument(other.document.id)).toMatchObject({ status: "completed" });
  });
});

describe("crons on the local executor", () => {
  it("bill expired quota reservations every five minutes, and purge old sign-in counters hourly", async () => {
    const tenant = await createTenant("Executor sweep");
    const profile = await withTenant(tenant.tenantId, (tx) => readTenantProfile(tx, tenant.tenantId));
    const call = { requestId: crypto.randomUUID(), feature: "api", role: "chat" as const, provider: "openai" as const, model: "gpt-4.1-mini", apiKeyId: null };
    // A reservation left by a process that died two minutes ago, mid-call.
    await admit({
      profile,
      userId: null,
      exactKey: null,
      semantic: null,
      tokens: 900,
      microUsd: 1_234,
      now: new Date(Date.now() - 120_000),
      ttlMs: 60_000,
      call,
    });
    // A sign-in counter last touched 26 hours ago.
    const rule = { name: "executor-test", freeAttempts: 1, maxAttempts: 5, windowMs: 60_000, lockMs: 60_000, delayStepMs: 0, maxDelayMs: 0 };
    await admitAttempt(throttleKey(rule, crypto.randomUUID()), rule, new Date(Date.now() - 26 * 3_600_000));

    // A clock of its own, so the schedules start from it.
    await withSystem("test: forget cron times", (tx) => tx.delete(localExecutorCrons).where(like(localExecutorCrons.functionId, "keel-%")));
    let now = new Date("2031-03-01T10:03:00Z");
    // Without the re-embedding schedule: at the quarter hour it would re-embed the tenants of test
    // files running beside this one (they share the database). Its tests are in lib/documents/reembed.
    const cronHandler = serveHandler(
      inngest,
      functions.filter((fn) => fn !== scheduleReembedsEvery15Minutes),
    );
    const executor = await startExecutor(cronHandler, { ...fast, now: () => now });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await runsOf("keel-settle-expired-quota-reservations")).toHaveLength(0);
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ reservedTokens: 900, usedTokens: 0 });

    now = new Date("2031-03-01T10:05:00Z");
    executor.wake();
    const [sweep] = await eventually(async () => {
      const runs = await runsOf("keel-settle-expired-quota-reservations");
      return runs.length === 1 && runs[0]!.status === "completed" && runs;
    });
    expect((sweep!.output as { settled: number }).settled).toBeGreaterThanOrEqual(1);
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ reservedTokens: 0, usedTokens: 900, usedMicroUsd: 1_234 });

    now = new Date("2031-03-01T10:15:00Z");
    executor.wake();
    const [purge] = await eventually(async () => {
      const runs = await runsOf("keel-purge-expired-sign-in-attempts");
      return runs.length === 1 && runs[0]!.status === "completed" && runs;
    });
    expect((purge!.output as { deleted: number }).deleted).toBeGreaterThanOrEqual(1);
    const [next] = await withSystem("test: read a cron", (tx) =>
      tx.select().from(localExecutorCrons).where(eq(localExecutorCrons.functionId, "keel-settle-expired-quota-reservations")),
    );
    expect(next!.nextAt.toISOString()).toBe("2031-03-01T10:20:00.000Z");
  });
});

describe("re-embedding on the local executor", () => {
  it("re-embeds a tenant asked for in Settings through a provider batch: durable sleeps between polls, one run per tenant", async () => {
    const fake = await startFakeOpenAI({ batches: { pollsBeforeDone: 1 } });
    process.env.KEEL_REEMBED_BATCH_POLL_SECONDS = "1";
    try {
      // Without the re-embedding schedule, as above: only the run this test asks for.
      await startExecutor(
        serveHandler(
          inngest,
          functions.filter((fn) => fn !== scheduleReembedsEvery15Minutes),
        ),
        fast,
      );
      const { document, request } = await acceptUpload(owner, {
        fileName: "reembed.pdf",
        bytes: await makePdf([{ heading: "Re-embed", paragraphs: paragraphs("blade") }]),
        collectionId: null,
      });
      await startAnalysis(request);
      await eventually(async () => (await documentState(document.id)).document?.status === "ready");

      await switchToFakeOpenAI(fake.url);
      setReembedEnv({ batchMinChunks: 1 });
      const reembed = await requestReembed(owner, { kind: "tenant" });
      expect(await startReembed(reembed)).toBe(true);
      const run = await eventually(async () => (await runsOf("keel-reembed")).find((r) => r.event.data.jobId === reembed.jobId && r.status !== "active"));
      expect(run).toMatchObject({ status: "completed", concurrencyKeys: [`fn:keel-reembed:"${owner.tenantId}"`], concurrencyLimits: [1] });
      const [job] = await withSystem("test: the re-embed job", (tx) => tx.select().from(jobs).where(eq(jobs.id, reembed.jobId)));
      expect(job).toMatchObject({ status: "succeeded", stage: "ready" });
      expect((await chunkRows(owner.tenantId)).every((c) => c.embeddingModel === "text-embedding-3-small" && c.nextEmbedding === null)).toBe(true);
      expect(fake.batches!.batches.size).toBe(1);
      expect((await usageOf(owner.tenantId)).some((u) => u.feature === "document-reembedding" && u.priceTier === "batch" && u.status === "ok")).toBe(true);
    } finally {
      delete process.env.KEEL_REEMBED_BATCH_POLL_SECONDS;
      await restoreGatewayEnv();
      await fake.close();
    }
  });
});
