// The limits every run is held to, and the errors a run ends with when it passes one. Inngest's
// own limits come first, with the errors Inngest's executor writes (name, message and `error`
// as it serializes them: pkg/consts and pkg/execution/state in inngest/inngest), so a function
// that would fail on Inngest fails here the same way instead of working only locally. Then the
// local executor's own: a step that keeps losing its process, a request or run that never ends.
import type { SerializedError } from "./protocol";

/** Inngest's per-run step limit (DefaultMaxStepLimit): the request after the 1,000th step fails the run. */
export const INNGEST_STEP_LIMIT = 1_000;
/** Inngest's limit on one step's returned data (MaxStepOutputSize, 4 MiB). */
export const INNGEST_STEP_OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;
/** Inngest's limit on a run's state: event, step results (DefaultMaxStateSizeLimit, 32 MiB). */
export const INNGEST_STATE_LIMIT_BYTES = 32 * 1024 * 1024;

/** The names a run's final error carries when a limit ended it (onFailure handlers read them). */
export const limitErrorNames = {
  stepLimit: "InngestErrFunctionOverflowed",
  stateSize: "InngestErrStateOverflowed",
  stepOutput: "InngestErrStepOutputTooLarge",
  lostProcess: "LocalExecutorStepLost",
  stepTimeout: "LocalExecutorStepTimedOut",
  runTimeout: "LocalExecutorRunTimedOut",
} as const;

export interface RunLimits {
  /** Steps a run may complete (Inngest: 1,000). */
  steps: number;
  stepOutputBytes: number;
  stateBytes: number;
}

export const inngestLimits: RunLimits = { steps: INNGEST_STEP_LIMIT, stepOutputBytes: INNGEST_STEP_OUTPUT_LIMIT_BYTES, stateBytes: INNGEST_STATE_LIMIT_BYTES };

export function stepLimitError(limit: number): SerializedError {
  return { name: limitErrorNames.stepLimit, message: `The function run exceeded the step limit of ${limit} steps.`, error: "function has too many steps" };
}

export function stateSizeError(limit: number): SerializedError {
  const message = `The function run exceeded the state size limit of ${limit} bytes.`;
  return { name: limitErrorNames.stateSize, message, error: `${limitErrorNames.stateSize}: ${message}` };
}

export function stepOutputError(limit: number, bytes: number, step: string): SerializedError {
  return {
    name: limitErrorNames.stepOutput,
    message: `The step "${step}" returned ${bytes} bytes, over the step output limit of ${limit} bytes.`,
    error: "step output size is greater than the limit",
  };
}

const duration = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : ms % 1_000 === 0 ? `${ms / 1_000} s` : `${ms} ms`;

/** A step whose lease ran out `times` times in a row: its process died, or stalled past the lease. */
export function lostProcessError(times: number, leaseMs: number): SerializedError {
  return {
    name: limitErrorNames.lostProcess,
    message: `The step did not finish ${times} time${times === 1 ? "" : "s"}: each time the process running it stopped (crashed or was killed) or stalled past its ${duration(leaseMs)} lease.`,
    times,
  };
}

export function stepTimeoutError(timeoutMs: number): SerializedError {
  return { name: limitErrorNames.stepTimeout, message: `The step ran longer than ${duration(timeoutMs)} (KEEL_LOCAL_EXECUTOR_STEP_TIMEOUT_MS).` };
}

export function runTimeoutError(timeoutMs: number): SerializedError {
  return { name: limitErrorNames.runTimeout, message: `The run went on longer than ${duration(timeoutMs)} (KEEL_LOCAL_EXECUTOR_RUN_TIMEOUT_MS).` };
}

/** UTF-8 bytes of a value as JSON (what Inngest measures). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), "utf8");
}
