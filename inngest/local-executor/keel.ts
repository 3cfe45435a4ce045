// Keel's wiring of the local executor: its store in Keel's database (keel-store.ts), Keel's logger,
// the KEEL_LOCAL_EXECUTOR_* settings, the Inngest client's event API, and the executor every app
// process starts for Keel's own functions when no Inngest server is configured (scripts/serve.ts
// calls startKeelLocalExecutor in every worker, after the app is ready).
import type { NextRequest } from "next/server";
import { log, withLogContext } from "@/core/log";
import { processSingleton } from "@/core/process-singleton";
import { jobRuntime, localExecutorSettings } from "@/core/job-runtime";
import { createEventApi } from "./event-intake";
import { createLocalExecutor, type LocalExecutor, type LocalExecutorOptions } from "./executor";
import { keelExecutorStore } from "./keel-store";
import { inngestLimits } from "./limits";
import type { ExecutorLogger } from "./types";

export { LOCAL_EXECUTOR_ORIGIN } from "./event-intake";

export const keelLogger: ExecutorLogger = {
  info: (fields, message) => log.info(fields, message),
  warn: (fields, message) => log.warn(fields, message),
  error: (fields, message) => log.error(fields, message),
  withContext: (fields, fn) => withLogContext(fields, fn),
};

/** The Inngest client's `fetch` in local mode: sent events go into Keel's database. */
export const localEventApi = createEventApi(keelExecutorStore, keelLogger, inngestLimits);

/** A local executor on Keel's database, logger and settings (tests override settings and limits). */
export function createKeelLocalExecutor(options: Omit<LocalExecutorOptions, "store" | "logger">): LocalExecutor {
  return createLocalExecutor({ ...options, store: keelExecutorStore, logger: keelLogger, settings: { ...localExecutorSettings(), ...options.settings } });
}

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
