// The limits every run is held to, and the errors a run ends with when it passes one. Inngest's
// own limits come first, with the errors Inngest writes, read from its executor's source
// (inngest/inngest: pkg/consts/consts.go, pkg/execution/state/state.go and opcode.go,
// pkg/execution/executor/executor.go and validate.go, pkg/execution/driver/httpdriver,
// pkg/eventstream, pkg/syscode), so a function that would fail on Inngest fails here the same way
// instead of working only locally. Then the local executor's own: a step that keeps losing its
// process, a request or run that never ends. README.md beside this file has the table.
import type { SerializedError } from "./types";

/** DefaultMaxStepLimit: the request after a run's 1,000th step fails the run. */
export const INNGEST_STEP_LIMIT = 1_000;
/** MaxStepOutputSize (4 MiB): one step's result, as stored (`{"data": …}`). */
const INNGEST_STEP_OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;
/** MaxSDKResponseBodySize (8 MiB): one answer of the serve handler. */
const INNGEST_RESPONSE_LIMIT_BYTES = 8 * 1024 * 1024;
/** DefaultMaxStateSizeLimit (32 MiB): a run's events and step results. */
const INNGEST_STATE_LIMIT_BYTES = 32 * 1024 * 1024;
/** AbsoluteMaxEventSize (3 MiB): one event sent to the event API (Inngest Cloud's free plan allows 256 KiB). */
export const INNGEST_EVENT_LIMIT_BYTES = 3 * 1024 * 1024;
/** MaxEvents: events in one send. */
export const INNGEST_MAX_EVENTS_PER_SEND = 5_000;

/** The names a run's final error carries when a limit ended it (onFailure handlers read them). */
export const limitErrorNames = {
  stepLimit: "InngestErrFunctionOverflowed",
  stateSize: "InngestErrStateOverflowed",
  /** syscode.CodeOutputTooLarge: an answer over 8 MiB. A step result over 4 MiB fails as a plain "Error". */
  responseSize: "output_too_large",
  lostProcess: "LocalExecutorStepLost",
  stepTimeout: "LocalExecutorStepTimedOut",
  runTimeout: "LocalExecutorRunTimedOut",
} as const;

export interface RunLimits {
  /** Steps a run may complete (Inngest: 1,000). */
  steps: number;
  stepOutputBytes: number;
  responseBytes: number;
  stateBytes: number;
}

export interface EventLimits {
  eventBytes: number;
}

export const inngestLimits: RunLimits & EventLimits = {
  steps: INNGEST_STEP_LIMIT,
  stepOutputBytes: INNGEST_STEP_OUTPUT_LIMIT_BYTES,
  responseBytes: INNGEST_RESPONSE_LIMIT_BYTES,
  stateBytes: INNGEST_STATE_LIMIT_BYTES,
  eventBytes: INNGEST_EVENT_LIMIT_BYTES,
};

const stepLimitMessage = (limit: number) => `The function run exceeded the step limit of ${limit} steps.`;

/** validate.go: a run that has taken its steps fails before its next request, not retried. */
export function stepLimitError(limit: number): SerializedError {
  return { name: limitErrorNames.stepLimit, message: stepLimitMessage(limit), error: "function has too many steps" };
}

/** executor.go: an answer planning more steps than a run may take fails the run, not retried. */
export function planLimitError(limit: number): SerializedError {
  return { name: limitErrorNames.stepLimit, message: stepLimitMessage(limit), error: `${limitErrorNames.stepLimit}: ${stepLimitMessage(limit)}` };
}

/** executor.go: a step result that would take the run's state past its limit fails the run, not retried. */
export function stateSizeError(limit: number): SerializedError {
  const message = `The function run exceeded the state size limit of ${limit} bytes.`;
  return { name: limitErrorNames.stateSize, message, error: `${limitErrorNames.stateSize}: ${message}` };
}

/**
 * httpdriver/parse.go: a step result over the limit makes the whole answer unreadable to Inngest,
 * which counts it as a failed attempt (retried) with this plain error, named after the hashed step id.
 */
export function stepOutputError(hashedStepId: string): SerializedError {
  const message = `error validating generator opcode ${hashedStepId}: step output size is greater than the limit`;
  return { name: "Error", message, error: message };
}

/** httpdriver.go: an answer over 8 MiB is a failed attempt (retried) with this system error. */
export function responseSizeError(): SerializedError {
  const message = "Your function's response body exceeds the maximum size limit";
  return { name: limitErrorNames.responseSize, message, error: `${limitErrorNames.responseSize}: ${message}` };
}

/** eventstream.go: the event API's refusal of an event over the limit (HTTP 400). */
export function eventSizeError(limit: number, bytes: number): string {
  return `Event is over the max size: Max ${limit} bytes / Size ${bytes} bytes`;
}

/** eventstream/errors.go: the event API's refusal of a send of too many events (HTTP 400). */
export function eventCountError(): string {
  return `Cannot have more than ${INNGEST_MAX_EVENTS_PER_SEND} events in a batch`;
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

/** UTF-8 bytes of a value as JSON (what Inngest measures; Go escapes <, > and & as six bytes each). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), "utf8");
}
