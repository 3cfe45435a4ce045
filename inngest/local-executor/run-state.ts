// How one answer of the serve handler moves a run on, as Inngest's server would: memoise the step
// that ran (or failed for good), queue the steps it planned, sleep until a wake time, retry with
// backoff, or finish; and fail the run, as Inngest does, when the answer takes it past Inngest's
// step, step-output or state-size limits. Pure: the caller stores the result under the run's lease.
import type { LocalExecutorRun, MemoisedStep } from "@/db/schema";
import { jsonBytes, stateSizeError, stepLimitError, stepOutputError, type RunLimits } from "./limits";
import type { Op, Outcome, SerializedError } from "./protocol";
import { toSerializedError } from "./protocol";
import { UnsupportedByLocalExecutor } from "./unsupported";

export interface RunState {
  status: "active" | "completed" | "failed";
  steps: Record<string, MemoisedStep>;
  stack: string[];
  planned: string[];
  attempt: number;
  /** How many of the current step's attempts ended with its lease running out. */
  lostLeases: number;
  runAt: Date;
  output?: unknown;
  error?: SerializedError;
}

/** An active run's state as stored, to be moved on. */
export function activeState(run: Pick<LocalExecutorRun, "steps" | "stack" | "planned" | "attempt" | "lostLeases">, now: Date): RunState {
  return { status: "active", steps: run.steps, stack: run.stack, planned: run.planned, attempt: run.attempt, lostLeases: run.lostLeases, runAt: now };
}

export interface AdvanceContext {
  now: Date;
  maxAttempts: number;
  /** Multiplies sleeps and backoff (KEEL_LOCAL_EXECUTOR_SLEEP_SCALE). */
  sleepScale: number;
  random: () => number;
  limits: RunLimits;
  /** The triggering event's size as JSON: part of the run's state. */
  eventBytes: number;
}

/** An answer that takes the run past one of Inngest's limits: the run fails with `error`. */
class RunLimitExceeded extends Error {
  constructor(readonly error: SerializedError) {
    super(error.message);
  }
}

/** The SDK features behind each op the local executor refuses. */
const unsupportedOps: Record<string, string> = {
  WaitForEvent: "step.waitForEvent()",
  InvokeFunction: "step.invoke()",
  WaitForSignal: "step.waitForSignal()",
  AIGateway: "step.ai.infer()",
  Gateway: "step.fetch()",
  DeferAdd: "defer()",
  DeferAbort: "defer()",
};

/** Exponential backoff like Inngest's (10 s, 20 s, 40 s, … at most 10 min), with jitter. */
export function backoffMs(attempt: number, random: () => number): number {
  return Math.min(10_000 * 2 ** Math.max(attempt - 1, 0), 600_000) * (0.85 + 0.3 * random());
}

/** A Sleep op's `name`: a duration the SDK wrote ("1h30m10s") or a wake time (ISO 8601). */
export function sleepUntil(name: string, now: Date, scale: number): Date {
  const duration = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(name);
  let ms: number;
  if (duration && name) {
    const [, w, d, h, m, s] = duration.map((part) => Number(part ?? 0));
    ms = ((((w! * 7 + d!) * 24 + h!) * 60 + m!) * 60 + s!) * 1000;
  } else {
    const at = Date.parse(name);
    if (Number.isNaN(at)) throw new UnsupportedByLocalExecutor(`the sleep "${name}"`);
    ms = Math.max(0, at - now.getTime());
  }
  return new Date(now.getTime() + ms * scale);
}

function failed(state: RunState, error: SerializedError): RunState {
  return { ...state, status: "failed", error, planned: [] };
}

export function retryOrFail(
  state: RunState,
  error: SerializedError,
  retryAfterMs: number | null,
  ctx: Pick<AdvanceContext, "now" | "maxAttempts" | "sleepScale" | "random">,
): RunState {
  const attempt = state.attempt + 1;
  if (attempt >= ctx.maxAttempts) return failed(state, error);
  const delay = (retryAfterMs ?? backoffMs(attempt, ctx.random)) * ctx.sleepScale;
  return { ...state, attempt, runAt: new Date(ctx.now.getTime() + delay) };
}

function memoise(state: RunState, id: string, result: MemoisedStep): RunState {
  return {
    ...state,
    steps: { ...state.steps, [id]: result },
    stack: state.stack.includes(id) ? state.stack : [...state.stack, id],
    planned: state.planned.filter((planned) => planned !== id),
    attempt: 0,
    lostLeases: 0,
  };
}

function applyOp(state: RunState, op: Op, outcome: Extract<Outcome, { kind: "ops" }>, ctx: AdvanceContext): RunState {
  switch (op.op) {
    case "StepRun":
    case "Step": {
      const bytes = jsonBytes(op.data);
      if (bytes > ctx.limits.stepOutputBytes)
        throw new RunLimitExceeded(stepOutputError(ctx.limits.stepOutputBytes, bytes, op.displayName ?? op.name ?? op.id));
      return memoise(state, op.id, { type: "data", data: op.data ?? null });
    }
    case "StepFailed":
      return memoise(state, op.id, { type: "error", error: toSerializedError(op.error) });
    case "StepError": {
      // Retried as a request for this very step, at the next attempt, unless the SDK said no.
      const error = toSerializedError(op.error);
      if (!outcome.retriable || state.attempt + 1 >= ctx.maxAttempts) return memoise(state, op.id, { type: "error", error });
      const retry = retryOrFail(state, error, outcome.retryAfterMs, ctx);
      return { ...retry, planned: [op.id, ...state.planned.filter((planned) => planned !== op.id)] };
    }
    case "StepPlanned":
      return state.planned.includes(op.id) ? state : { ...state, planned: [...state.planned, op.id] };
    case "Sleep": {
      const wake = sleepUntil(op.name ?? "", ctx.now, ctx.sleepScale);
      const slept = memoise(state, op.id, { type: "data", data: null });
      return { ...slept, runAt: new Date(Math.max(slept.runAt.getTime(), wake.getTime())) };
    }
    default: {
      const feature = unsupportedOps[op.op] ?? `the step op "${op.op}"`;
      throw new UnsupportedByLocalExecutor(`${feature} (step "${op.displayName ?? op.name ?? op.id}")`);
    }
  }
}

export function advance(state: RunState, outcome: Outcome, ctx: AdvanceContext): RunState {
  switch (outcome.kind) {
    case "completed":
      return { ...state, status: "completed", output: outcome.output, planned: [] };
    case "failed":
      return failed(state, outcome.error);
    case "retry":
      return retryOrFail(state, outcome.error, outcome.retryAfterMs, ctx);
    case "ops":
      // Inngest refuses a plan of more parallel steps than a run may take, before running any.
      if (outcome.ops.length > ctx.limits.steps) return failed(state, stepLimitError(ctx.limits.steps));
      try {
        const next = outcome.ops.reduce((next, op) => applyOp(next, op, outcome, ctx), { ...state, runAt: ctx.now });
        if (next.steps !== state.steps && jsonBytes(next.steps) + ctx.eventBytes > ctx.limits.stateBytes)
          return failed(state, stateSizeError(ctx.limits.stateBytes));
        return next;
      } catch (error) {
        if (error instanceof UnsupportedByLocalExecutor) return failed(state, toSerializedError(error));
        if (error instanceof RunLimitExceeded) return failed(state, error.error);
        throw error;
      }
  }
}
