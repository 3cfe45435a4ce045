// The local executor's public surface: create an executor for a serve() handler with a store and a
// logger; answer the Inngest client's event API calls; Inngest's limits and errors. README.md
// beside this file says what it supports and how it is wired into Keel (keel.ts, keel-store.ts).
export { createLocalExecutor, type LocalExecutor, type LocalExecutorOptions } from "./executor";
export { createEventApi, LOCAL_EXECUTOR_ORIGIN } from "./event-intake";
export { inngestLimits, limitErrorNames, INNGEST_STEP_LIMIT, type RunLimits, type EventLimits } from "./limits";
export type { ServeHandler } from "./registry";
export { defaultSettings, type LocalExecutorSettings } from "./settings";
export type { ExecutorStore, StoreTransaction } from "./store";
export type { ClaimedRun, ExecutorEvent, ExecutorLogger, MemoisedStep, StoredRun } from "./types";
export { UnsupportedByLocalExecutor } from "./unsupported";
