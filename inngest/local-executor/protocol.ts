// One request of Inngest's executor protocol, made in-process, and its answer read the way
// Inngest's server reads it. The request is the one Inngest's HTTP driver builds
// (pkg/execution/driver: MarshalV1): a POST to the function's registered URL with `stepId` ("step"
// to discover and run the next step, or a planned step's hashed id), the triggering event, the
// memoised results of the steps on the stack, and the run context. Ids that only Inngest's servers
// have (fn_id, env, qi_id, request_id, job_id) are left out: the SDK uses them only to call
// Inngest's API, which nothing stands behind here. The answer: 200 the function finished, 206 the
// ops it reached, 500 retriable, 400 not retriable; an answer or a step result over Inngest's size
// limits is a failed attempt, as on Inngest.
import { z } from "zod";
import { LOCAL_EXECUTOR_ORIGIN } from "./event-intake";
import { responseSizeError, stepOutputError, type RunLimits } from "./limits";
import type { ServeHandler } from "./registry";
import type { ExecutorEvent, MemoisedStep, SerializedError } from "./types";

export interface ExecutionRequest {
  functionId: string;
  stepUrl: string;
  /** "step" to discover and run the next step, or a planned step's hashed id. */
  stepId: string;
  runId: string;
  event: ExecutorEvent;
  steps: Record<string, MemoisedStep>;
  stack: string[];
  /** Inngest's stack pointer: just past the step whose completion led to this request. */
  stackCurrent: number;
  attempt: number;
  maxAttempts: number;
  /** null until the SDK has said which request version it speaks (sent as -1). */
  requestVersion: number | null;
  /** Set once the run has run steps in parallel: the SDK then plans every step. */
  forceStepPlan: boolean;
}

const opSchema = z.looseObject({
  id: z.string().min(1),
  op: z.string().min(1),
  name: z.string().optional(),
  displayName: z.string().optional(),
  data: z.unknown().optional(),
  error: z.unknown().optional(),
});
export type Op = z.infer<typeof opSchema>;

export type Outcome =
  | { kind: "completed"; output: unknown }
  | { kind: "ops"; ops: Op[]; retriable: boolean; retryAfterMs: number | null }
  | { kind: "retry"; error: SerializedError; retryAfterMs: number | null }
  | { kind: "failed"; error: SerializedError };

export function toSerializedError(value: unknown, fallback = "Unknown error"): SerializedError {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack ?? "" };
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const message = typeof record.message === "string" ? record.message : typeof record.error === "string" ? record.error : fallback;
    return { ...record, name: typeof record.name === "string" ? record.name : "Error", message };
  }
  return { name: "Error", message: typeof value === "string" && value ? value : fallback };
}

/** The event as Inngest sends it to the SDK: `user` is always an object. */
const sentEvent = (event: ExecutorEvent) => ({ ...event, user: event.user ?? {} });

function executionRequestBody(r: ExecutionRequest) {
  const event = sentEvent(r.event);
  return {
    event,
    events: [event],
    // Inngest sends the results of the steps on the stack, in stack order.
    steps: Object.fromEntries(r.stack.filter((id) => id in r.steps).map((id) => [id, r.steps[id]])),
    defers: {},
    ctx: {
      run_id: r.runId,
      step_id: "step",
      attempt: r.attempt,
      max_attempts: r.maxAttempts,
      stack: { stack: r.stack, current: r.stackCurrent },
      disable_immediate_execution: r.forceStepPlan,
      use_api: false,
    },
    version: r.requestVersion ?? -1,
    use_api: false,
  };
}

function executionRequestUrl(r: Pick<ExecutionRequest, "stepUrl" | "functionId" | "stepId">): URL {
  // The registered step URL carries the function's query; the origin never matters in-process.
  const registered = new URL(r.stepUrl || `${LOCAL_EXECUTOR_ORIGIN}/api/inngest`);
  const url = new URL(`${registered.pathname}${registered.search}`, LOCAL_EXECUTOR_ORIGIN);
  url.searchParams.set("fnId", r.functionId);
  url.searchParams.set("stepId", r.stepId);
  return url;
}

export function buildExecutionRequest(r: ExecutionRequest): Request {
  return new Request(executionRequestUrl(r), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(executionRequestBody(r)),
  });
}

/** `Retry-After` as the SDK sends it: seconds, or a date. */
function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A step's result as Inngest stores (and measures) it: StepRun data under "data", errors under "error". */
export function storedOutput(op: Op): MemoisedStep | undefined {
  switch (op.op) {
    case "StepRun":
      return { data: op.data ?? null };
    case "StepError":
    case "StepFailed":
      return { error: toSerializedError(op.error) };
    default:
      return op.data === undefined ? undefined : { data: op.data };
  }
}

async function readOutcome(response: Response, limits: Pick<RunLimits, "stepOutputBytes" | "responseBytes">, now = Date.now()): Promise<Outcome> {
  const text = await response.text();
  if (Buffer.byteLength(text, "utf8") > limits.responseBytes) return { kind: "retry", error: responseSizeError(), retryAfterMs: null };
  const body = parseJson(text);
  const noRetry = response.headers.get("x-inngest-no-retry") === "true";
  const retryAfter = retryAfterMs(response.headers.get("retry-after"), now);
  switch (response.status) {
    case 200:
      return { kind: "completed", output: body };
    case 206: {
      const ops = z.array(opSchema).safeParse(Array.isArray(body) ? body : [body]);
      if (!ops.success)
        return {
          kind: "failed",
          error: { name: "Error", message: `The serve handler answered 206 with ops the local executor cannot read: ${ops.error.message}` },
        };
      // Inngest validates every op before acting on any: one result over the limit fails the attempt.
      for (const op of ops.data) {
        const stored = storedOutput(op);
        if (stored && Buffer.byteLength(JSON.stringify(stored), "utf8") > limits.stepOutputBytes)
          return { kind: "retry", error: stepOutputError(op.id), retryAfterMs: null };
      }
      return { kind: "ops", ops: ops.data, retriable: !noRetry, retryAfterMs: retryAfter };
    }
    case 500:
      return noRetry ? { kind: "failed", error: toSerializedError(body) } : { kind: "retry", error: toSerializedError(body), retryAfterMs: retryAfter };
    case 400:
      return { kind: "failed", error: toSerializedError(body) };
    default:
      return { kind: "failed", error: { name: "Error", message: `The serve handler answered HTTP ${response.status}: ${JSON.stringify(body).slice(0, 500)}` } };
  }
}

export interface Answer {
  outcome: Outcome;
  /** The request version the SDK announced (`x-inngest-req-version`), if it did. */
  announcedVersion: number | null;
}

/** Calls the handler; an exception in it is a retriable failure, like a 500. */
export async function execute(handler: ServeHandler, request: ExecutionRequest, limits: RunLimits): Promise<Answer> {
  try {
    const response = await handler(buildExecutionRequest(request));
    const version = Number(response.headers.get("x-inngest-req-version"));
    return { outcome: await readOutcome(response, limits), announcedVersion: Number.isInteger(version) && version > 0 ? version : null };
  } catch (error) {
    return { outcome: { kind: "retry", error: toSerializedError(error), retryAfterMs: null }, announcedVersion: null };
  }
}
