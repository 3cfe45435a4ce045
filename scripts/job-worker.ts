// The process that runs Keel's jobs when `npm start` has one of its own (scripts/serve.ts): the
// local executor, and nothing else. It serves no requests, so a document analysis that keeps a
// core busy (storing and embedding thousands of passages, summarising them) never holds up another
// tenant's request: the serving workers only store events and read progress. It also runs at a
// lower CPU priority than they do, so on a machine with few cores a request still gets a core at
// once while an analysis runs.
import cluster from "node:cluster";
import { readdirSync } from "node:fs";
import { setPriority } from "node:os";
import { processSingletonIfCreated } from "@/core/process-singleton";

/** Added to this process's nice value: background work yields to requests. */
const BACKGROUND_NICENESS = 10;

/**
 * Every thread of this process niced (Linux sets priority per thread; threads started later, such
 * as the document pool's, inherit it from the thread that starts them).
 */
function yieldToRequests(): void {
  let threads: number[] = [process.pid];
  try {
    threads = readdirSync("/proc/self/task").map(Number);
  } catch {
    // Not Linux: the process's own priority is all there is.
  }
  for (const thread of threads) {
    try {
      setPriority(thread, BACKGROUND_NICENESS);
    } catch {
      // Lowering one's own priority needs no privilege; if the platform refuses, jobs run as before.
    }
  }
}

export interface JobWorkerTiming {
  /** From SIGTERM to exit. */
  graceMs: number;
  /** The end of the grace kept for writing the meter's last usage records. */
  flushReserveMs: number;
}

export async function startJobWorker({ graceMs, flushReserveMs }: JobWorkerTiming): Promise<void> {
  yieldToRequests();
  await (await import("@/instrumentation")).register();
  const { startKeelLocalExecutor } = await import("@/inngest/start-local-executor");
  const executor = startKeelLocalExecutor();
  console.log('keel: jobs run on the local executor, in a process of their own (production uses an Inngest server; see README, "Jobs")');

  let stopping = false;
  // Ctrl-C reaches every process of the group: a forked job process waits for the SIGTERM its
  // primary sends; one started on its own (KEEL_PROCESS_ROLE=jobs) stops the same orderly way.
  process.on("SIGINT", () => {
    if (cluster.isPrimary) process.emit("SIGTERM");
  });
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    const stoppedAt = Date.now();
    setTimeout(() => process.exit(0), graceMs).unref();
    void (async () => {
      // The step in flight may finish within the grace period; otherwise its run is given back for
      // the next start (or another instance) to take up.
      await executor?.stop(Math.max(0, graceMs - flushReserveMs));
      const left = Math.max(250, graceMs - (Date.now() - stoppedAt));
      // The usage of the model calls the jobs made (if the database is unreachable, the spill file).
      await processSingletonIfCreated<{ close(deadlineMs: number): Promise<void> }>("ai:gateway")?.close(left);
      process.exit(0);
    })();
  });
}
