// How one answer of the serve handler moves a run on, as Inngest's executor does
// (pkg/execution/executor: HandleGeneratorResponse and the op handlers): memoise the step that ran,
// or failed for good, as Inngest stores it; queue the steps it planned; sleep until a wake time;
// retry the same request with backoff; or finish. A run fails, as on Inngest, when an answer takes
// it past the step or state-size limits. Pure: the caller stores the result under the run's lease.
import { planLimitError, stateSizeError, type RunLimits } from "./limits";
import { storedOutput, toSerializedError, type Op, type Outcome } from "./protocol";
import type { ExecutorEvent, MemoisedStep, SerializedError, StoredRun } from "./types";
import { UnsupportedByLocalExecutor } from "./unsupported";

export interface RunState {
  status: "active" | "completed" | "failed";
  steps: Record<string, MemoisedStep>;
  stack: string[];
  planned: string[];
  forceStepPlan: boolean;
  attempt: number;
  /** How many of the current step's attempts ended with its lease running out. */
  lostLeases: number;
  runAt: Date;
  output?: unknown;
  error?: SerializedError;
}

type ActiveFields = "steps" | "stack" | "planned" | "forceStepPlan" | "attempt" | "lostLeases";

/** An active run's state as stored, to be moved on. */
export function activeState(run: Pick<StoredRun, ActiveFields>, now: Date): RunState {
  const { steps, stack, planned, forceStepPlan, attempt, lostLeases } = run;
  return { status: "active", steps, stack, planned, forceStepPlan, attempt, lostLeases, runAt: now };
}

/** The step a run's next request asks for: the first planned step not yet memoised, else "step" (discovery). */
export function nextStepId(run: Pick<StoredRun, "planned" | "steps">): string {
  return run.planned.find((id) => !(id in run.steps)) ?? "step";
}

/**
 * Inngest's stack pointer for the next request: just past the step whose completion led to it. A
 * planned step's request follows the discovery that planned it, so steps of the same plan that
 * finished since do not move it.
 */
export function stackCurrent(run: Pick<StoredRun, "planned" | "steps" | "stack">): number {
  return run.stack.length - run.planned.filter((id) => id in run.steps).length;
}

export interface AdvanceContext {
  now: Date;
  maxAttempts: number;
  /** Multiplies sleeps and backoff. */
  sleepScale: number;
  random: () => number;
  limits: RunLimits;
  /** The run's events, as part of its state. */
  event: ExecutorEvent;
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
function backoffMs(attempt: number, random: () => number): number {
  return Math.min(10_000 * 2 ** Math.max(attempt - 1, 0), 600_000) * (0.85 + 0.3 * random());
}

/** A Sleep op's `name`: a duration the SDK wrote ("1h30m10s") or a wake time (ISO 8601). */
function sleepUntil(name: string, now: Date, scale: number): Date {
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

/** A run's state size as Inngest counts it: its events plus every stored step result. */
function stateBytes(event: ExecutorEvent, steps: Record<string, MemoisedStep>): number {
  let bytes = Buffer.byteLength(JSON.stringify([event]), "utf8");
  for (const step of Object.values(steps)) bytes += Buffer.byteLength(JSON.stringify(step), "utf8");
  return bytes;
}

function failed(state: RunState, error: SerializedError): RunState {
  return { ...state, status: "failed", error, planned: [] };
}

/** The same request again at the next attempt, after backoff (or `Retry-After`), or the run's end. */
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
  const steps = { ...state.steps, [id]: result };
  return {
    ...state,
    steps,
    stack: state.stack.includes(id) ? state.stack : [...state.stack, id],
    // A plan is done once each of its steps is memoised: the next request discovers what follows.
    planned: state.planned.every((planned) => planned in steps) ? [] : state.planned,
    attempt: 0,
    lostLeases: 0,
  };
}

function applyOp(state: RunState, op: Op, outcome: Extract<Outcome, { kind: "ops" }>, ctx: AdvanceContext): RunState {
  switch (op.op) {
    case "StepRun":
    case "Step": {
      const stored = storedOutput(op) ?? null;
      if (stateBytes(ctx.event, state.steps) + Buffer.byteLength(JSON.stringify(stored), "utf8") > ctx.limits.stateBytes)
        throw new RunLimitExceeded(stateSizeError(ctx.limits.stateBytes));
      return memoise(state, op.id, stored);
    }
    case "StepFailed":
      return memoise(state, op.id, { error: toSerializedError(op.error) });
    case "StepError": {
      // Retried as the same request, at the next attempt, unless the SDK said no; else it failed for good.
      const error = toSerializedError(op.error);
      if (!outcome.retriable || state.attempt + 1 >= ctx.maxAttempts) return memoise(state, op.id, { error });
      return retryOrFail(state, error, outcome.retryAfterMs, ctx);
    }
    case "StepPlanned":
      return state.planned.includes(op.id) ? state : { ...state, planned: [...state.planned, op.id] };
    case "Sleep": {
      // Inngest stores null for the sleep when it ends; the run is not asked again before then.
      const wake = sleepUntil(op.name ?? "", ctx.now, ctx.sleepScale);
      const slept = memoise(state, op.id, null);
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
    case "ops": {
      // Inngest refuses a plan of more steps than a run may take, before running any.
      if (outcome.ops.length > ctx.limits.steps) return failed(state, planLimitError(ctx.limits.steps));
      // A new plan replaces a finished one; with several ops the SDK is told to plan every step from now on.
      const start: RunState = {
        ...state,
        planned: outcome.ops.some((op) => op.op === "StepPlanned") && state.planned.every((id) => id in state.steps) ? [] : state.planned,
        forceStepPlan: state.forceStepPlan || outcome.ops.length > 1,
        runAt: ctx.now,
      };
      try {
        return outcome.ops.reduce((next, op) => applyOp(next, op, outcome, ctx), start);
      } catch (error) {
        if (error instanceof UnsupportedByLocalExecutor) return failed(state, toSerializedError(error));
        if (error instanceof RunLimitExceeded) return failed(state, error.error);
        throw error;
      }
    }
  }
}
