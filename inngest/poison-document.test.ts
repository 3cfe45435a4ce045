// A poison document ends: real app processes that die while analysing it (a crash mid-step, its
// lease left behind) each count as an attempt, so after analyze-document's last attempt the run
// fails, onFailure runs, and the document says why; the next process started does not pick the
// run up again. PostgreSQL only: the processes share a database of this file's own (embedded PGlite
// is one process's); inngest/local-executor/limits.test.ts covers the same rule in-process on both.
import { spawn, type ChildProcess } from "node:child_process";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase } from "@/db/client";
import { localExecutorRuns } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { startAnalysis } from "@/inngest/analysis-jobs";
import { acceptUpload } from "@/lib/documents/upload";
import { createTestDatabase, dropTestDatabase } from "@/scripts/test-database";
import { documentState } from "@/test/documents-harness";
import { createTenant } from "@/test/fixtures";
import { eventually } from "@/test/local-executor-harness";
import { testDatabaseUrl } from "@/test/database-url";

const adminUrl = process.env.TEST_DATABASE_URL?.trim();
const onPostgres = Boolean(testDatabaseUrl() && adminUrl);
let databaseUrl = "";

beforeAll(async () => {
  if (!onPostgres) return;
  // A database of its own: the app processes register Keel's whole app and fire its crons there.
  await closeDatabase();
  databaseUrl = await createTestDatabase(adminUrl!, "keel_poison");
  process.env.DATABASE_URL = databaseUrl;
}, 60_000);

afterAll(async () => {
  if (!onPostgres) return;
  await closeDatabase();
  await dropTestDatabase(adminUrl!, databaseUrl);
});

interface AppProcess {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

function startAppProcess(crashOn: string | null): AppProcess {
  const env = { ...process.env, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: "3", ...(crashOn ? { CRASH_ON_FUNCTION: crashOn } : {}) };
  if (!crashOn) delete env.CRASH_ON_FUNCTION;
  const child = spawn(process.execPath, ["--import", "tsx", "test/crashing-executor.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready")) resolve();
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`the app process exited (${code}) before it was ready:\n${output.slice(-2_000)}`)));
  });
  ready.catch(() => {});
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, ready, exited };
}

const runOfDocument = async (documentId: string) =>
  (
    await withSystem("test: the analysis run", (tx) => tx.select().from(localExecutorRuns).where(eq(localExecutorRuns.functionId, "keel-analyze-document")))
  ).find((run) => run.event.data.documentId === documentId);

describe.skipIf(!onPostgres)("a document whose analysis kills the process running it", () => {
  it("ends failed with its reason after the function's attempts, and a restart does not take it up again", async () => {
    const owner = await createTenant("Poisoned");
    const { document, request } = await acceptUpload(owner, {
      fileName: "poison.txt",
      bytes: new TextEncoder().encode("A poison document."),
      collectionId: null,
    });
    await startAnalysis(request);

    // analyze-document has retries: 4, so five attempts: five processes die in turn, mid-step.
    // Each is started while the one before runs (processes take seconds to start); only the one
    // holding the lease can die, so they die one after another.
    let next: AppProcess | null = startAppProcess("keel-analyze-document");
    for (let attempt = 1; attempt <= 5; attempt++) {
      const current: AppProcess = next!;
      next = attempt < 5 ? startAppProcess("keel-analyze-document") : null;
      expect(await current.exited).toBe(70);
    }
    expect(await runOfDocument(document.id)).toMatchObject({ status: "active", lostLeases: 4 });
    // The next process finds the last lease run out: no attempt is left, so the run fails.
    const healthy = startAppProcess(null);
    await healthy.ready;
    const failed = await eventually(async () => {
      const state = await documentState(document.id);
      return state.document?.status === "failed" && state;
    }, 60_000);
    healthy.child.kill("SIGTERM");
    await healthy.exited;

    expect(failed.document).toMatchObject({
      errorCode: "analysis_failed",
      error: expect.stringMatching(/^This document could not be processed: its analysis stopped or stalled the server process it ran in 5 times/),
    });
    expect(failed.jobs[0]).toMatchObject({ status: "failed" });
    const run = await runOfDocument(document.id);
    expect(run).toMatchObject({ status: "failed", lostLeases: 5, leaseToken: null, error: { name: "LocalExecutorStepLost", times: 5 } });

    // Started again, a process that would die on this function lives on: nothing claims the run.
    const restarted = startAppProcess("keel-analyze-document");
    await restarted.ready;
    const outcome = await Promise.race([restarted.exited, new Promise((resolve) => setTimeout(() => resolve("alive"), 3_000))]);
    expect(outcome).toBe("alive");
    restarted.child.kill("SIGTERM");
    await restarted.exited;
    expect(await runOfDocument(document.id)).toMatchObject({ status: "failed", updatedAt: run!.updatedAt });
  }, 240_000);
});
