// The recorded scenarios: which function runs, for which event, under which limit, and what happens
// between requests. record.ts drives each through the reference driver against the real serve()
// handler and writes fixtures/<name>.json; conformance.test.ts replays them against the executor.
import { cronEvent } from "../cron-firing";
import { failureEvent } from "../run-queue";
import type { ExecutorEvent, SerializedError } from "../types";
import { conformanceHandler } from "./functions";
import { driveRun, recordRegistration, type RecordedRun } from "./reference-driver";

export const RUN_ID = "01KCONFORMANCERUN000000000";
const TS = Date.UTC(2031, 0, 1);

const event = (name: string, data: Record<string, unknown> = {}, n = 1): ExecutorEvent => ({
  id: `01KCONFORMANCE${name
    .replace(/[^a-z]/g, "")
    .toUpperCase()
    .padEnd(10, "X")
    .slice(0, 10)}${String(n).padStart(2, "0")}`,
  name: `conformance/${name}`,
  data,
  ts: TS + n,
});

export interface Scenario {
  name: string;
  /** What the scenario shows about the protocol. */
  about: string;
  /** The triggering events of its runs, in order (a cron's tick is `cronTick`). */
  events: ExecutorEvent[];
  cronTick?: string;
  /** The executor's step limit for this scenario (Inngest's is 1,000; accounts can have less). */
  stepLimit?: number;
  /** An event sent after this many exchanges of the first run (a cancellation). */
  sendAfter?: { exchanges: number; event: ExecutorEvent };
  /** Runs sharing a concurrency key with this limit: no more of their requests in flight at once. */
  concurrencyLimit?: number;
  /**
   * The SDK feature the local executor refuses in this scenario: its run fails at the op with
   * UnsupportedByLocalExecutor naming it, after sending exactly the recorded requests.
   */
  refusedFeature?: string;
}

export const scenarios: Scenario[] = [
  { name: "steps", about: "step.run three times, memoised results sent back, the return value", events: [event("steps")] },
  { name: "sleep", about: "step.sleep: a Sleep op, then the run goes on with null memoised for it", events: [event("sleep")] },
  { name: "send-event", about: "step.sendEvent: run by the SDK as a step whose result is the event API's ids", events: [event("send-event", { key: "k1" })] },
  {
    name: "parallel",
    about: "parallel steps: StepPlanned ops, one request per planned step, then disable_immediate_execution for the rest of the run",
    events: [event("parallel")],
  },
  { name: "retry", about: "StepError retried as the same request at the next attempt, until the step succeeds", events: [event("retry")] },
  {
    name: "fails",
    about: "a step that fails for good: StepError, then StepFailed on the last attempt, the function's error, and its onFailure run",
    events: [event("fails")],
  },
  { name: "non-retriable", about: "NonRetriableError: no retry (x-inngest-no-retry)", events: [event("non-retriable")] },
  {
    name: "cancel",
    about: "cancelOn: a matching event between two requests ends the run; no request follows",
    events: [event("cancel", { key: "c1" })],
    sendAfter: { exchanges: 1, event: event("cancelled", { key: "c1" }) },
  },
  { name: "cron", about: "a cron tick: the inngest/scheduled.timer event Inngest's cron service sends", events: [], cronTick: "2031-01-01T00:00:00.000Z" },
  {
    name: "concurrency",
    about: "a concurrency key with limit 1: the two runs' requests never overlap (Inngest limits steps in flight, so runs may interleave)",
    events: [event("concurrency", { tenant: "t1", key: "first" }, 1), event("concurrency", { tenant: "t1", key: "second" }, 2)],
    concurrencyLimit: 1,
  },
  { name: "step-limit", about: "a run past the step limit fails before its next request with Inngest's error", events: [event("loop")], stepLimit: 3 },
  // Keel's jobs use none of the three below; the local executor refuses them (README, "What it
  // refuses loudly"). The fixtures pin the ops the SDK sends for them, so an SDK that changes them
  // is noticed, and the tests pin the refusal: the run fails at the op, never runs on differently.
  {
    name: "wait-for-event",
    about: "step.waitForEvent: a WaitForEvent op (event, match, timeout), on which Inngest suspends the run",
    events: [event("wait-for-event", { key: "w1" })],
    refusedFeature: "step.waitForEvent()",
  },
  {
    name: "invoke",
    about: "step.invoke: an InvokeFunction op (the function's id and the payload), on which Inngest suspends the run",
    events: [event("invoke")],
    refusedFeature: "step.invoke()",
  },
  {
    name: "ai-infer",
    about: "step.ai.infer: an AIGateway op (the provider request Inngest would make), on which Inngest suspends the run",
    events: [event("ai-infer")],
    refusedFeature: "step.ai.infer()",
  },
];

export interface Fixture {
  scenario: string;
  about: string;
  /** The SDK that answered when the fixture was recorded. */
  sdk: string;
  stepLimit?: number;
  sendAfter?: Scenario["sendAfter"];
  concurrencyLimit?: number;
  cronTick?: string;
  refusedFeature?: string;
  runs: RecordedRun[];
}

interface RegisteredFunction {
  id: string;
  triggers: Array<{ event?: string; cron?: string }>;
  steps: Record<string, { retries?: { attempts?: number } }>;
}

/** The registration of the conformance app, as its serve handler answers Inngest's sync. */
export async function recordAppRegistration() {
  return recordRegistration(conformanceHandler());
}

/** Records one scenario against the current SDK. */
export async function recordScenario(scenario: Scenario): Promise<Fixture> {
  const handler = conformanceHandler();
  const registration = await recordRegistration(handler);
  const functions = (registration.response.body as { functions: RegisteredFunction[] }).functions;
  const maxAttemptsOf = (fn: RegisteredFunction) => (Object.values(fn.steps)[0]?.retries?.attempts ?? 4) + 1;
  const triggered = (e: ExecutorEvent) => functions.filter((fn) => fn.triggers.some((t) => t.event === e.name));

  const starts: Array<{ fn: RegisteredFunction; event: ExecutorEvent }> = scenario.cronTick
    ? functions
        .filter((fn) => fn.triggers.some((t) => t.cron))
        .map((fn) => ({ fn, event: cronEvent(fn.id, fn.triggers.find((t) => t.cron)!.cron!, new Date(scenario.cronTick!)) }))
    : scenario.events.flatMap((e) => triggered(e).map((fn) => ({ fn, event: e })));

  const runs: RecordedRun[] = [];
  for (const { fn, event } of starts) {
    const run = await driveRun({
      handler,
      functionId: fn.id,
      event,
      runId: RUN_ID,
      maxAttempts: maxAttemptsOf(fn),
      stepLimit: scenario.stepLimit,
      cancelAfter: scenario.sendAfter?.exchanges,
    });
    runs.push(run);
    // finalize.go: a failed run's inngest/function.failed event starts its onFailure function.
    if (run.outcome.status === "failed") {
      const failed = failureEvent(fn.id, RUN_ID, event, run.outcome.error as SerializedError, new Date(TS));
      for (const handlerFn of functions.filter((f) => f.triggers.some((t) => t.event === failed.name) && f.id === `${fn.id}-failure`)) {
        runs.push(await driveRun({ handler, functionId: handlerFn.id, event: failed, runId: RUN_ID, maxAttempts: maxAttemptsOf(handlerFn) }));
      }
    }
  }
  const sdk = runs[0]?.exchanges[0]?.response.headers["x-inngest-sdk"] ?? registration.response.headers["x-inngest-sdk"] ?? "";
  return {
    scenario: scenario.name,
    about: scenario.about,
    sdk,
    ...(scenario.stepLimit ? { stepLimit: scenario.stepLimit } : {}),
    ...(scenario.sendAfter ? { sendAfter: scenario.sendAfter } : {}),
    ...(scenario.concurrencyLimit ? { concurrencyLimit: scenario.concurrencyLimit } : {}),
    ...(scenario.cronTick ? { cronTick: scenario.cronTick } : {}),
    ...(scenario.refusedFeature ? { refusedFeature: scenario.refusedFeature } : {}),
    runs,
  };
}
