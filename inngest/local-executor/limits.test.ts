// Nothing runs or retries forever on the local executor: a step whose process dies (its lease runs
// out) counts as a failed attempt, so a run that keeps killing its worker ends failed with that
// reason and its onFailure runs; a step that hangs is cut off at its time limit, a run at its own;
// and Inngest's step, step-output, response, state-size and event-size limits hold with Inngest's
// own errors (limits.ts names the source of each).
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { Inngest } from "inngest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localExecutorRuns } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { localExecutorClientOptions } from "@/inngest/client";
import { eventually, finishedRun, runsOf, serveHandler, startExecutor, stopExecutors } from "@/test/local-executor-harness";
import { INNGEST_EVENT_LIMIT_BYTES, INNGEST_STEP_LIMIT } from "./limits";

const app = `limits-test-${randomUUID().slice(0, 8)}`;
const client = new Inngest({ id: app, ...localExecutorClientOptions });
const fn = (id: string) => `${app}-${id}`;
const event = (name: string) => `${app}/${name}`;
const send = (name: string, data: Record<string, unknown>) => client.send({ name: event(name), data });

const calls = new Map<string, number>();
const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
const failures = new Map<string, { name: string; message: string }>();
const never = () => new Promise<never>(() => {});
const dataOf = (e: { data: unknown }) => e.data as { key: string; steps?: number; bytes?: number };
const recordFailure = async ({ event, error }: { event: { data: { event: { data: unknown } } }; error: Error }) => {
  failures.set(dataOf(event.data.event).key, { name: error.name, message: error.message });
};

/**
 * What a dead process leaves behind, as the database sees it: the run still leased, to a lease
 * nobody renews, and it runs out. The step then never answers (its "process" is gone).
 */
async function dieHoldingTheLease(runId: string): Promise<never> {
  await withSystem("test: the process running this step died", (tx) =>
    tx
      .update(localExecutorRuns)
      .set({ leaseToken: randomUUID(), leasedUntil: sql`now() - interval '1 second'` })
      .where(eq(localExecutorRuns.id, runId)),
  );
  return never();
}

const killer = client.createFunction(
  { id: "killer", retries: 2, triggers: [{ event: event("killer") }], onFailure: recordFailure },
  async ({ event, step, runId }) => {
    const { key } = dataOf(event);
    await step.run("before", () => count(`${key}:before`));
    await step.run("kills-its-process", async () => {
      count(`${key}:kills`);
      // The first two attempts die; with `survives` the third finishes.
      if (event.data.survives && (calls.get(`${key}:kills`) ?? 0) > 2) return "finished";
      return dieHoldingTheLease(runId);
    });
  },
);

const hanging = client.createFunction(
  { id: "hanging", retries: 1, triggers: [{ event: event("hanging") }], onFailure: recordFailure },
  async ({ event, step }) => {
    await step.run("hangs", async () => {
      count(`${dataOf(event).key}:hangs`);
      return never();
    });
  },
);

const quick = client.createFunction({ id: "quick", triggers: [{ event: event("quick") }] }, async ({ event, step }) => {
  await step.run("once", () => count(`${dataOf(event).key}:quick`));
});

const sleepy = client.createFunction({ id: "sleepy", triggers: [{ event: event("sleepy") }], onFailure: recordFailure }, async ({ event, step }) => {
  await step.run("before", () => count(`${dataOf(event).key}:before`));
  await step.sleep("long-nap", "1h");
  await step.run("after", () => count(`${dataOf(event).key}:after`));
});

const looping = client.createFunction(
  { id: "looping", retries: 3, triggers: [{ event: event("looping") }], onFailure: recordFailure },
  async ({ event, step }) => {
    const { key, steps = 0 } = dataOf(event);
    for (let i = 0; i < steps; i++) await step.run(`step-${i}`, () => count(`${key}:step`));
    return "done";
  },
);

const fanning = client.createFunction({ id: "fanning", triggers: [{ event: event("fanning") }], onFailure: recordFailure }, async ({ event, step }) => {
  const { key, steps = 0 } = dataOf(event);
  await Promise.all(Array.from({ length: steps }, (_, i) => step.run(`parallel-${i}`, () => count(`${key}:parallel`))));
  return "done";
});

const bulky = client.createFunction({ id: "bulky", triggers: [{ event: event("bulky") }], onFailure: recordFailure }, async ({ event, step }) => {
  const { key, steps = 1, bytes = 0 } = dataOf(event);
  for (let i = 0; i < steps; i++) await step.run(`chunk-${i}`, () => (count(`${key}:chunk`), "x".repeat(bytes)));
  return "done";
});

const handler = serveHandler(client, [killer, hanging, quick, sleepy, looping, fanning, bulky]);

beforeAll(async () => {
  await (await startExecutor(handler)).stop();
});
afterEach(stopExecutors);
afterAll(stopExecutors);

const runOf = async (functionId: string, key: string) => (await runsOf(functionId)).find((run) => run.event.data.key === key)!;

describe("a step whose process dies", () => {
  it("counts each lost lease as an attempt, then fails the run with the reason and runs onFailure; the run is not claimed again", async () => {
    await startExecutor(handler, { settings: { leaseMs: 600, slots: 8, stepTimeoutMs: 5_000 } });
    await send("killer", { key: "k1" });
    const run = await finishedRun(fn("killer"), "k1");
    // retries: 2 → three attempts, each of which died; the reaper ended the run instead of a fourth.
    expect(calls.get("k1:kills")).toBe(3);
    expect(calls.get("k1:before")).toBe(1);
    expect(run).toMatchObject({
      status: "failed",
      attempt: 2,
      lostLeases: 3,
      leaseToken: null,
      error: { name: "LocalExecutorStepLost", times: 3, message: expect.stringMatching(/did not finish 3 times: each time the process running it stopped/) },
    });
    const failure = await eventually(() => failures.get("k1"));
    expect(failure).toEqual({ name: "LocalExecutorStepLost", message: run.error!.message });
    // A restart (a fresh executor) finds nothing to claim: the run stays failed.
    await stopExecutors();
    await startExecutor(handler, { settings: { leaseMs: 600 } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(calls.get("k1:kills")).toBe(3);
    expect(await runOf(fn("killer"), "k1")).toMatchObject({ status: "failed" });
  });

  it("retries after a lost lease with backoff, and a step that then finishes resets the count", async () => {
    await startExecutor(handler, { settings: { leaseMs: 600, slots: 8, stepTimeoutMs: 5_000 } });
    await send("killer", { key: "k2", survives: true });
    const run = await finishedRun(fn("killer"), "k2");
    expect(run).toMatchObject({ status: "completed", attempt: 0, lostLeases: 0, error: null });
    expect(calls.get("k2:kills")).toBe(3);
  });
});

describe("time limits", () => {
  it("cut off a hanging step at the step time limit as a failed attempt, free its slot, and fail the run after its retries", async () => {
    await startExecutor(handler, { settings: { stepTimeoutMs: 400, slots: 1 } });
    await send("hanging", { key: "h1" });
    await eventually(() => calls.get("h1:hangs") === 1);
    // With one slot, another run proceeds only because the hanging step's slot was freed.
    await send("quick", { key: "q1" });
    expect(await finishedRun(fn("quick"), "q1")).toMatchObject({ status: "completed" });
    const run = await finishedRun(fn("hanging"), "h1");
    expect(calls.get("h1:hangs")).toBe(2);
    expect(run).toMatchObject({
      status: "failed",
      error: { name: "LocalExecutorStepTimedOut", message: "The step ran longer than 400 ms (KEEL_LOCAL_EXECUTOR_STEP_TIMEOUT_MS)." },
    });
    expect(await eventually(() => failures.get("h1"))).toMatchObject({ name: "LocalExecutorStepTimedOut" });
  });

  it("fail a run that goes on past the run time limit, even while it sleeps", async () => {
    // The sleep of 1 h at scale 0.01 is 36 s; the run may last 1.5 s.
    await startExecutor(handler, { settings: { runTimeoutMs: 1_500 } });
    await send("sleepy", { key: "s1" });
    const run = await finishedRun(fn("sleepy"), "s1");
    expect(run).toMatchObject({ status: "failed", error: { name: "LocalExecutorRunTimedOut" } });
    expect([calls.get("s1:before"), calls.get("s1:after")]).toEqual([1, undefined]);
    expect(await eventually(() => failures.get("s1"))).toMatchObject({ message: "The run went on longer than 1500 ms (KEEL_LOCAL_EXECUTOR_RUN_TIMEOUT_MS)." });
  });
});

describe("Inngest's limits", () => {
  it("fail a run at the request after its step limit with Inngest's error, not retried, and run onFailure", async () => {
    await startExecutor(handler, { limits: { steps: 5 } });
    await send("looping", { key: "l1", steps: 4 });
    await send("looping", { key: "l2", steps: 8 });
    expect(await finishedRun(fn("looping"), "l1")).toMatchObject({ status: "completed", output: "done" });
    const run = await finishedRun(fn("looping"), "l2");
    expect(run).toMatchObject({
      status: "failed",
      attempt: 0,
      error: { name: "InngestErrFunctionOverflowed", message: "The function run exceeded the step limit of 5 steps.", error: "function has too many steps" },
    });
    expect(Object.keys(run.steps)).toHaveLength(5);
    expect(calls.get("l2:step")).toBe(5);
    expect(await eventually(() => failures.get("l2"))).toEqual({
      name: "InngestErrFunctionOverflowed",
      message: "The function run exceeded the step limit of 5 steps.",
    });
  });

  it(`refuse a plan of more than ${INNGEST_STEP_LIMIT} parallel steps before running any of them`, async () => {
    await startExecutor(handler);
    await send("fanning", { key: "f1", steps: INNGEST_STEP_LIMIT + 1 });
    const run = await finishedRun(fn("fanning"), "f1", 60_000);
    expect(run).toMatchObject({
      status: "failed",
      error: {
        name: "InngestErrFunctionOverflowed",
        message: "The function run exceeded the step limit of 1000 steps.",
        error: "InngestErrFunctionOverflowed: The function run exceeded the step limit of 1000 steps.",
      },
    });
    expect(calls.get("f1:parallel")).toBeUndefined();
  }, 90_000);

  it("count a step result over the step output limit as a failed attempt with Inngest's error, retried, then fail the run", async () => {
    await startExecutor(handler, { limits: { stepOutputBytes: 2_000 } });
    await send("bulky", { key: "b1", bytes: 3_000 });
    const run = await finishedRun(fn("bulky"), "b1");
    // Inngest cannot read the answer (httpdriver's opcode validation): a plain "Error", retried like any failed attempt.
    const message = expect.stringMatching(/^error validating generator opcode [0-9a-f]{40}: step output size is greater than the limit$/);
    expect(run).toMatchObject({ status: "failed", steps: {}, error: { name: "Error", message, error: message } });
    expect(calls.get("b1:chunk")).toBe(5); // Inngest's default: 4 retries
    expect(await eventually(() => failures.get("b1"))).toMatchObject({ name: "Error", message });
  });

  it("count an answer over the response size limit as a failed attempt with Inngest's system error", async () => {
    await startExecutor(handler, { limits: { responseBytes: 2_000 } });
    await send("bulky", { key: "r1", bytes: 2_500 });
    const run = await finishedRun(fn("bulky"), "r1");
    expect(run).toMatchObject({
      status: "failed",
      error: {
        name: "output_too_large",
        message: "Your function's response body exceeds the maximum size limit",
        error: "output_too_large: Your function's response body exceeds the maximum size limit",
      },
    });
    expect(calls.get("r1:chunk")).toBe(5);
  });

  it("fail a run whose step result would take its state past the state limit, not retried", async () => {
    await startExecutor(handler, { limits: { stateBytes: 10_000 } });
    await send("bulky", { key: "b2", steps: 8, bytes: 1_500 });
    const run = await finishedRun(fn("bulky"), "b2");
    expect(run).toMatchObject({
      status: "failed",
      error: {
        name: "InngestErrStateOverflowed",
        message: "The function run exceeded the state size limit of 10000 bytes.",
        error: "InngestErrStateOverflowed: The function run exceeded the state size limit of 10000 bytes.",
      },
    });
    // Six results of 1.5 kB (stored as {"data": …}) fit in 10 kB with the event; the seventh would not.
    expect(Object.keys(run.steps)).toHaveLength(6);
    expect(calls.get("b2:chunk")).toBe(7);
    expect(await eventually(() => failures.get("b2"))).toMatchObject({ name: "InngestErrStateOverflowed" });
  });

  it("refuse a sent event over the event size limit as Inngest's event API does, keeping the events before it", async () => {
    const small = { name: event("quick"), data: { key: "e1" } };
    const large = { name: event("quick"), data: { key: "e2", padding: "x".repeat(INNGEST_EVENT_LIMIT_BYTES) } };
    await expect(client.send([small, large])).rejects.toThrow(/^Inngest API Error: 400 Event is over the max size: Max 3145728 bytes \/ Size \d{7} bytes$/);
    await startExecutor(handler);
    // The SDK retried the send; the event before the refused one was stored once (its id comes from the SDK's seed).
    expect(await finishedRun(fn("quick"), "e1")).toMatchObject({ status: "completed" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await runsOf(fn("quick"))).filter((run) => ["e1", "e2"].includes(String(run.event.data.key))).map((run) => run.event.data.key)).toEqual(["e1"]);
    expect(calls.get("e1:quick")).toBe(1);
  });
});
