// Starts the local executor for Keel's own functions in this process, when no Inngest server is
// configured (scripts/serve.ts calls this in every worker, after the app is ready).
import type { NextRequest } from "next/server";
import { log } from "@/lib/observability/log";
import { processSingleton } from "@/lib/process-singleton";
import { jobRuntime } from "../job-runtime";
import { createLocalExecutor, type LocalExecutor } from "./index";

const RETRY_MS = 5_000;

/** Whether this process's executor is taking work (read by /api/ready, in Next's module graph). */
export const localExecutorState = processSingleton("jobs:local-executor-state", () => ({
  state: "not started" as "not started" | "starting" | "running" | "stopped",
}));

/** The running executor (null with an Inngest server). Start-up failures are retried until `stop`. */
export function startKeelLocalExecutor(): { stop(graceMs: number): Promise<void> } | null {
  if (jobRuntime().kind !== "local-executor") return null;
  let executor: LocalExecutor | null = null;
  let stopped = false;
  localExecutorState.state = "starting";
  const starting = (async () => {
    const { inngestHandler } = await import("../serve-handler");
    while (!stopped) {
      const candidate = createLocalExecutor({ handler: (request) => inngestHandler(request as NextRequest, undefined) });
      try {
        await candidate.start();
        executor = candidate;
        localExecutorState.state = "running";
        return;
      } catch (error) {
        log.error({ err: error }, `local executor: could not start; trying again in ${RETRY_MS / 1000} s (no jobs run until it starts)`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  })();
  return {
    async stop(graceMs) {
      stopped = true;
      localExecutorState.state = "stopped";
      await starting.catch(() => {});
      await executor?.stop({ graceMs });
    },
  };
}
