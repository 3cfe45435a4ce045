// The recorder: drives a real serve() handler the way Inngest's own executor does, and keeps every
// HTTP exchange. It is written apart from the local executor, as a literal transcription of
// Inngest's Go executor (inngest/inngest, pkg/execution): queue items with an edge (the step that
// led to them, `Outgoing`, and the planned step to run, `IncomingGeneratorStep`), the stack pointer
// computed from the edge, request bodies as driver.MarshalV1 builds them, and each op handled as
// the executor's handlers do (handleGeneratorStep, handleStepError/handleStepFailed,
// handleGeneratorStepPlanned, handleGeneratorSleep; validate.go's step limit; executor.go's plan
// limit and disable_immediate_execution once a response held parallel ops). The conformance test
// then checks that the local executor sends exactly these requests.
//
// At an op that makes Inngest wait on something outside the run (an event, an invoked run, its AI
// gateway's call to a model) the recording stops, with the op, as a "suspended" outcome: what
// Inngest's executor memoises when it resumes is not recorded here, since no Inngest server runs
// on this machine to record it from, and a guess would make the fixture a fiction.
import type { ServeHandler } from "../registry";
import { registrationRequest } from "../registry";
import type { ExecutorEvent } from "../types";

interface RecordedRequest {
  method: string;
  /** The query Inngest adds to the registered URL. */
  query: { fnId: string; stepId: string };
  body: unknown;
}

export interface RecordedResponse {
  status: number;
  /** The protocol's headers (timing and other volatile ones left out). */
  headers: Record<string, string>;
  body: unknown;
}

interface Exchange {
  request: RecordedRequest;
  response: RecordedResponse;
}

type RunOutcome =
  { status: "completed"; output: unknown } | { status: "failed"; error: unknown } | { status: "cancelled" } | { status: "suspended"; op: string; step: string };

/** Ops on which Inngest's executor suspends the run until something outside it happens. */
const SUSPENDING_OPS = new Set(["WaitForEvent", "InvokeFunction", "AIGateway"]);

export interface RecordedRun {
  functionId: string;
  event: ExecutorEvent;
  exchanges: Exchange[];
  outcome: RunOutcome;
}

/** Headers that carry protocol meaning (x-inngest-sdk is kept to say which SDK answered). */
const PROTOCOL_HEADERS = [
  "content-type",
  "retry-after",
  "x-inngest-no-retry",
  "x-inngest-req-version",
  "x-inngest-sdk",
  "x-inngest-framework",
  "x-inngest-sync-kind",
];

async function readResponse(response: Response): Promise<RecordedResponse> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // kept as text
  }
  const headers = Object.fromEntries(PROTOCOL_HEADERS.flatMap((name) => (response.headers.has(name) ? [[name, response.headers.get(name)!]] : [])));
  return { status: response.status, headers, body };
}

export async function recordRegistration(
  handler: ServeHandler,
): Promise<{ request: { method: string; headers: Record<string, string>; body: unknown }; response: RecordedResponse }> {
  const request = registrationRequest();
  const recorded = { method: request.method, headers: Object.fromEntries(request.headers), body: JSON.parse(await request.clone().text()) as unknown };
  return { request: recorded, response: await readResponse(await handler(request)) };
}

interface Item {
  /** "step" (discovery) or the planned step's hashed id (IncomingGeneratorStep). */
  stepId: string;
  /** The step that led here ("$trigger" for the first request). */
  outgoing: string;
  attempt: number;
}

interface Op {
  op: string;
  id: string;
  name?: string;
  displayName?: string;
  data?: unknown;
  error?: unknown;
}

export interface DriveOptions {
  handler: ServeHandler;
  functionId: string;
  event: ExecutorEvent;
  runId: string;
  /** The function's retries + 1, from its registration. */
  maxAttempts: number;
  /** validate.go's per-run step limit (Inngest's default 1,000; accounts can have another). */
  stepLimit?: number;
  /** Stops after this many exchanges, as a cancellation between two requests does. */
  cancelAfter?: number;
}

const stepLimitError = (limit: number) => ({
  error: "function has too many steps",
  name: "InngestErrFunctionOverflowed",
  message: `The function run exceeded the step limit of ${limit} steps.`,
});

/** Runs one function run to its end against `handler`, the way Inngest's executor would. */
export async function driveRun(options: DriveOptions): Promise<RecordedRun> {
  const { handler, functionId, event, runId, maxAttempts, stepLimit = 1_000 } = options;
  const exchanges: Exchange[] = [];
  // Inngest's state: saved step outputs, the stack in completion order, run metadata.
  const steps: Record<string, unknown> = {};
  const stack: string[] = [];
  const pending = new Set<string>();
  let requestVersion = -1;
  let forceStepPlan = false;
  const queue: Item[] = [{ stepId: "step", outgoing: "$trigger", attempt: 0 }];
  const sentEvent = { ...event, user: event.user ?? {} };

  const save = (id: string, output: unknown, item: Item) => {
    steps[id] = output;
    stack.push(id);
    pending.delete(id);
    // The discovery after a step is enqueued only once no planned step is pending.
    if (pending.size === 0) queue.push({ stepId: "step", outgoing: id, attempt: 0 });
    void item;
  };

  while (queue.length > 0) {
    const item = queue.shift()!;
    // validate.go: a run that has taken its steps ends before the next request.
    if (Object.keys(steps).length >= stepLimit) return { functionId, event, exchanges, outcome: { status: "failed", error: stepLimitError(stepLimit) } };
    if (options.cancelAfter !== undefined && exchanges.length >= options.cancelAfter) return { functionId, event, exchanges, outcome: { status: "cancelled" } };

    const index = stack.indexOf(item.outgoing);
    const body = {
      event: sentEvent,
      events: [sentEvent],
      steps: Object.fromEntries(stack.map((id) => [id, steps[id]])),
      defers: {},
      ctx: {
        run_id: runId,
        step_id: "step",
        attempt: item.attempt,
        max_attempts: maxAttempts,
        stack: { stack: [...stack], current: index === -1 ? 0 : index + 1 },
        disable_immediate_execution: forceStepPlan,
        use_api: false,
      },
      version: requestVersion,
      use_api: false,
    };
    const url = new URL("http://local-executor.invalid/api/inngest");
    url.searchParams.set("fnId", functionId);
    url.searchParams.set("stepId", item.stepId);
    const request: RecordedRequest = { method: "POST", query: { fnId: functionId, stepId: item.stepId }, body };
    const response = await readResponse(
      await handler(new Request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })),
    );
    exchanges.push({ request, response });

    const noRetry = response.headers["x-inngest-no-retry"] === "true";
    const retry = (error: unknown): RunOutcome | null => {
      if (noRetry || item.attempt + 1 >= maxAttempts) return { status: "failed", error };
      queue.unshift({ ...item, attempt: item.attempt + 1 });
      return null;
    };

    if (response.status === 200) return { functionId, event, exchanges, outcome: { status: "completed", output: response.body } };
    if (response.status !== 206) {
      const ended = response.status === 500 ? retry(response.body) : { status: "failed" as const, error: response.body };
      if (ended) return { functionId, event, exchanges, outcome: ended };
      continue;
    }
    const ops = (Array.isArray(response.body) ? response.body : [response.body]) as Op[];
    if (ops.length > stepLimit) {
      const message = `The function run exceeded the step limit of ${stepLimit} steps.`;
      return {
        functionId,
        event,
        exchanges,
        outcome: { status: "failed", error: { error: `InngestErrFunctionOverflowed: ${message}`, name: "InngestErrFunctionOverflowed", message } },
      };
    }
    if (requestVersion === -1) requestVersion = Number(response.headers["x-inngest-req-version"] ?? 0);
    if (ops.length > 1) forceStepPlan = true;
    const suspending = ops.find((op) => SUSPENDING_OPS.has(op.op));
    if (suspending) {
      const outcome = { status: "suspended" as const, op: suspending.op, step: suspending.displayName ?? suspending.name ?? suspending.id };
      return { functionId, event, exchanges, outcome };
    }
    for (const op of ops) {
      switch (op.op) {
        case "StepRun":
          save(op.id, { data: op.data ?? null }, item);
          break;
        case "StepPlanned":
          pending.add(op.id);
          queue.push({ stepId: op.id, outgoing: item.outgoing, attempt: 0 });
          break;
        case "Sleep":
          // Saved as null when the sleep ends; the recorder does not wait for it.
          save(op.id, null, item);
          break;
        case "StepError": {
          if (!noRetry && item.attempt + 1 < maxAttempts) {
            queue.unshift({ ...item, attempt: item.attempt + 1 });
            break;
          }
          save(op.id, { error: op.error }, item);
          break;
        }
        case "StepFailed":
          save(op.id, { error: op.error }, item);
          break;
        default:
          throw new Error(`the recorder does not handle the op ${op.op}`);
      }
    }
  }
  throw new Error("the run ended without an outcome");
}
