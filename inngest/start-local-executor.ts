// The local executor every app process starts for Keel's own functions when no Inngest server is
// configured (scripts/serve.ts calls startKeelLocalExecutor in every worker, after the app is
// ready). Apart from keel.ts because it loads the serve handler, which loads every function and
// the Inngest client, which imports keel.ts.
import type { NextRequest } from "next/server";
import { jobRuntime } from "@/core/job-runtime";
import { log } from "@/core/log";
import { processSingleton } from "@/core/process-singleton";
import { createKeelLocalExecutor } from "./local-executor/keel";
import type { LocalExecutor } from "./local-executor";

const RETRY_MS = 5_000;

/** Whether this process's executor is taking work (/api/ready reads it by its key: lib/observability/job-runner-status.ts). */
const localExecutorState = processSingleton("jobs:local-executor-state", () => ({
  state: "not started" as "not started" | "starting" | "running" | "stopped",
}));

/** The running executor (null with an Inngest server). Start-up failures are retried until `stop`. */
export function startKeelLocalExecutor(): { stop(graceMs: number): Promise<void> } | null {
  if (jobRuntime().kind !== "local-executor") return null;
  let executor: LocalExecutor | null = null;
  let stopped = false;
  localExecutorState.state = "starting";
  const starting = (async () => {
    const { inngestHandler } = await import("./serve-handler");
    while (!stopped) {
      const candidate = createKeelLocalExecutor({ handler: (request) => inngestHandler(request as NextRequest, undefined) });
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
