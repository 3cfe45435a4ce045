// One request of Inngest's executor protocol, made in-process: a POST to the serve handler with
// the function and step to run (`?fnId=…&stepId=…`, "step" for discovery), the triggering event,
// every memoised step result keyed by hashed step id, and the run context. Its answer, read the
// way Inngest's server reads it: 200 the function finished, 206 the ops it reached (a step that
// ran, failed or needs retrying, steps it planned, a sleep), 500 retriable, 400 not retriable.
import { z } from "zod";
import type { LocalEvent, MemoisedStep } from "@/db/schema";
import { LOCAL_EXECUTOR_ORIGIN } from "./event-intake";
import type { ServeHandler } from "./registry";

export interface ExecutionRequest {
  functionId: string;
  stepUrl: string;
  /** "step" to discover and run the next step, or a planned step's hashed id. */
  stepId: string;
  runId: string;
  event: LocalEvent;
  steps: Record<string, MemoisedStep>;
  stack: string[];
  attempt: number;
  maxAttempts: number;
  requestVersion: number | null;
}

export type SerializedError = Record<string, unknown> & { name: string; message: string };

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

export function buildExecutionRequest(r: ExecutionRequest): Request {
  // The registered step URL carries the function's query; the origin never matters in-process.
  const registered = new URL(r.stepUrl || `${LOCAL_EXECUTOR_ORIGIN}/api/inngest`);
  const url = new URL(`${registered.pathname}${registered.search}`, LOCAL_EXECUTOR_ORIGIN);
  url.searchParams.set("fnId", r.functionId);
  url.searchParams.set("stepId", r.stepId);
  const body = {
    event: r.event,
    events: [r.event],
    steps: r.steps,
    ctx: {
      run_id: r.runId,
      attempt: r.attempt,
      max_attempts: r.maxAttempts,
      disable_immediate_execution: false,
      use_api: false,
      stack: { stack: r.stack, current: Math.max(r.stack.length - 1, 0) },
    },
    ...(r.requestVersion !== null ? { version: r.requestVersion } : {}),
  };
  return new Request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
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

export async function readOutcome(response: Response, now = Date.now()): Promise<Outcome> {
  const body = parseJson(await response.text());
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

/** Calls the handler; an exception in it is a retriable failure, like a 500. */
export async function execute(handler: ServeHandler, request: ExecutionRequest): Promise<{ outcome: Outcome; requestVersion: number | null }> {
  try {
    const response = await handler(buildExecutionRequest(request));
    const version = Number(response.headers.get("x-inngest-req-version"));
    return { outcome: await readOutcome(response), requestVersion: Number.isInteger(version) && version > 0 ? version : request.requestVersion };
  } catch (error) {
    return { outcome: { kind: "retry", error: toSerializedError(error), retryAfterMs: null }, requestVersion: request.requestVersion };
  }
}
