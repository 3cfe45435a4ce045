// Keel's wiring of the local executor: its store in Keel's database (keel-store.ts), Keel's logger,
// the KEEL_LOCAL_EXECUTOR_* settings and the Inngest client's event API. The executor each app
// process starts for Keel's own functions is in inngest/start-local-executor.ts, apart from this
// file, since the Inngest client imports this one and that one loads every function.
import { log, withLogContext } from "@/core/log";
import { localExecutorSettings } from "@/core/job-runtime";
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
