// The local executor against the real serve() handler of a test app: events start functions,
// memoised steps do not run again, retries back off, a final failure runs onFailure, sleeps
// wake (scaled), step.sendEvent starts another function, cancelOn stops a run at its next step,
// and what the executor does not support fails the run loudly.
import { randomUUID } from "node:crypto";
import { Inngest, NonRetriableError } from "inngest";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { localExecutorClientOptions } from "@/inngest/client";
import { log } from "@/core/log";
import { eventually, finishedRun, Gates, runsOf, serveHandler, startExecutor, stopExecutors } from "@/test/local-executor-harness";

const app = `executor-test-${randomUUID().slice(0, 8)}`;
const client = new Inngest({ id: app, ...localExecutorClientOptions });
const fn = (id: string) => `${app}-${id}`;
const event = (name: string) => `${app}/${name}`;

const calls = new Map<string, number>();
const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
const times = new Map<string, number[]>();
const stamp = (key: string) => times.set(key, [...(times.get(key) ?? []), Date.now()]);
const gates = new Gates();
const failures: Array<{ message: string; key: unknown; functionId: unknown }> = [];

const dataOf = (e: { data: unknown }) => e.data as { key: string; failTimes?: number };

const counted = client.createFunction({ id: "counted", triggers: [{ event: event("counted") }] }, async ({ event, step }) => {
  const { key } = dataOf(event);
  const a = await step.run("a", () => (count(`${key}:a`), 1));
  const b = await step.run("b", () => (count(`${key}:b`), a + 1));
  const c = await step.run("c", () => (count(`${key}:c`), b + 1));
  return { sum: a + b + c };
});

const parallel = client.createFunction({ id: "parallel", triggers: [{ event: event("parallel") }] }, async ({ event, step }) => {
  const { key } = dataOf(event);
  const [x, y] = await Promise.all([step.run("x", () => (count(`${key}:x`), "x")), step.run("y", () => (count(`${key}:y`), "y"))]);
  const z = await step.run("z", () => (count(`${key}:z`), "z"));
  return `${x}${y}${z}`;
});

const flaky = client.createFunction({ id: "flaky", retries: 3, triggers: [{ event: event("flaky") }] }, async ({ event, step, attempt }) => {
  const { key, failTimes = 0 } = dataOf(event);
  await step.run("before", () => count(`${key}:before`));
  return step.run("flaky", () => {
    stamp(key);
    count(`${key}:flaky`);
    if ((calls.get(`${key}:flaky`) ?? 0) <= failTimes) throw new Error(`not yet (attempt ${attempt})`);
    return "worked";
  });
});

const doomed = client.createFunction(
  {
    id: "doomed",
    retries: 1,
    triggers: [{ event: event("doomed") }],
    onFailure: async ({ event, error }) => {
      failures.push({ message: error.message, key: dataOf(event.data.event as { data: unknown }).key, functionId: event.data.function_id });
    },
  },
  async ({ event, step }) => {
    const { key } = dataOf(event);
    await step.run("always-fails", () => {
      count(`${key}:doomed`);
      throw new Error(`boom ${key}`);
    });
  },
);

const refusing = client.createFunction({ id: "refusing", retries: 3, triggers: [{ event: event("refusing") }] }, async ({ event }) => {
  count(`${dataOf(event).key}:refusing`);
  throw new NonRetriableError("not this file");
});

const sleeper = client.createFunction({ id: "sleeper", triggers: [{ event: event("sleeper") }] }, async ({ event, step }) => {
  const { key } = dataOf(event);
  await step.run("before", () => stamp(key));
  await step.sleep("nap", "10s");
  await step.run("after", () => stamp(key));
});

const fanOut = client.createFunction({ id: "fan-out", triggers: [{ event: event("fan-out") }] }, async ({ event, step }) => {
  const { key } = dataOf(event);
  await step.run("count", () => count(`${key}:fan-out`));
  await step.sendEvent("tell", { name: event.name.replace("fan-out", "told"), data: { key } });
});

const told = client.createFunction({ id: "told", triggers: [{ event: event("told") }] }, async ({ event, step }) => {
  await step.run("count", () => count(`${dataOf(event).key}:told`));
});

const cancellable = client.createFunction(
  { id: "cancellable", triggers: [{ event: event("cancellable") }], cancelOn: [{ event: event("cancel"), match: "data.key" }] },
  async ({ event, step }) => {
    const { key } = dataOf(event);
    await step.run("first", async () => {
      count(`${key}:first`);
      await gates.wait(key);
    });
    await step.run("second", () => count(`${key}:second`));
  },
);

const waiting = client.createFunction({ id: "waiting", triggers: [{ event: event("waiting") }] }, async ({ event, step }) => {
  await step.run("before", () => count(`${dataOf(event).key}:before`));
  await step.waitForEvent("reply", { event: event.name, timeout: "1h" });
});

const throttled = client.createFunction(
  { id: "throttled", throttle: { limit: 1, period: "1m" }, triggers: [{ event: event("throttled") }] },
  async ({ event }) => count(`${dataOf(event).key}:throttled`),
);

const handler = serveHandler(client, [counted, parallel, flaky, doomed, refusing, sleeper, fanOut, told, cancellable, waiting, throttled]);
const send = (name: string, data: Record<string, unknown>) => client.send({ name: event(name), data });

beforeAll(async () => {
  // Registers the app once; each test starts its own executor.
  await (await startExecutor(handler)).stop();
});
afterEach(stopExecutors);
afterAll(stopExecutors);

describe("the local executor", () => {
  it("runs a function when its event is sent, each step once, through the real serve handler", async () => {
    await startExecutor(handler);
    const { ids } = await send("counted", { key: "k1" });
    const run = await finishedRun(fn("counted"), "k1");
    expect(run).toMatchObject({ status: "completed", output: { sum: 6 }, eventId: ids[0] });
    // Four requests (three steps, then the return): every step ran once, the rest was memoised.
    expect([calls.get("k1:a"), calls.get("k1:b"), calls.get("k1:c")]).toEqual([1, 1, 1]);
    expect(run.stack).toHaveLength(3);
    expect(run.stack.map((id) => run.steps[id])).toEqual([1, 2, 3].map((data) => ({ data })));
  });

  it("starts one run however often an event with the same id is sent", async () => {
    await startExecutor(handler);
    const id = randomUUID();
    await client.send({ id, name: event("counted"), data: { key: "dup" } });
    await client.send({ id, name: event("counted"), data: { key: "dup" } });
    await finishedRun(fn("counted"), "dup");
    expect((await runsOf(fn("counted"))).filter((run) => run.event.data.key === "dup")).toHaveLength(1);
    expect(calls.get("dup:a")).toBe(1);
  });

  it("runs parallel steps the SDK plans, one request each, then goes on", async () => {
    await startExecutor(handler);
    await send("parallel", { key: "p1" });
    expect(await finishedRun(fn("parallel"), "p1")).toMatchObject({ status: "completed", output: "xyz" });
    expect([calls.get("p1:x"), calls.get("p1:y"), calls.get("p1:z")]).toEqual([1, 1, 1]);
  });

  it("retries a failing step with growing backoff, then succeeds without re-running earlier steps", async () => {
    await startExecutor(handler);
    await send("flaky", { key: "f1", failTimes: 2 });
    const run = await finishedRun(fn("flaky"), "f1");
    expect(run).toMatchObject({ status: "completed", output: "worked" });
    expect(calls.get("f1:flaky")).toBe(3);
    expect(calls.get("f1:before")).toBe(1);
    // Backoff 10 s then 20 s (±15 %), scaled by 0.01.
    const [first, second, third] = times.get("f1")!;
    expect(second! - first!).toBeGreaterThanOrEqual(80);
    expect(third! - second!).toBeGreaterThanOrEqual(160);
  });

  it("fails for good after the last retry and runs the function's onFailure with the error", async () => {
    await startExecutor(handler);
    await send("doomed", { key: "d1" });
    const run = await finishedRun(fn("doomed"), "d1");
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ message: expect.stringContaining("boom d1") });
    expect(calls.get("d1:doomed")).toBe(2); // retries: 1
    const failure = await eventually(() => failures.find((f) => f.key === "d1"));
    expect(failure).toEqual({ message: "boom d1", key: "d1", functionId: fn("doomed") });
    const handlerRun = await eventually(async () => (await runsOf(fn("doomed-failure"))).find((r) => r.event.data.run_id === run.id && r.status !== "active"));
    expect(handlerRun).toMatchObject({ status: "completed", event: { name: "inngest/function.failed", data: { function_id: fn("doomed") } } });
  });

  it("does not retry a NonRetriableError", async () => {
    await startExecutor(handler);
    await send("refusing", { key: "n1" });
    const run = await finishedRun(fn("refusing"), "n1");
    expect(run).toMatchObject({ status: "failed", error: { name: "NonRetriableError", message: "not this file" } });
    expect(calls.get("n1:refusing")).toBe(1);
  });

  it("sleeps for the step's duration times KEEL_LOCAL_EXECUTOR_SLEEP_SCALE, then goes on", async () => {
    await startExecutor(handler);
    await send("sleeper", { key: "s1" });
    expect(await finishedRun(fn("sleeper"), "s1")).toMatchObject({ status: "completed" });
    const [before, after] = times.get("s1")!;
    expect(after! - before!).toBeGreaterThanOrEqual(95); // 10 s × 0.01
    expect(after! - before!).toBeLessThan(5_000);
  });

  it("starts another function from step.sendEvent, once", async () => {
    await startExecutor(handler);
    await send("fan-out", { key: "o1" });
    expect(await finishedRun(fn("told"), "o1")).toMatchObject({ status: "completed" });
    expect(await finishedRun(fn("fan-out"), "o1")).toMatchObject({ status: "completed" });
    expect([calls.get("o1:fan-out"), calls.get("o1:told")]).toEqual([1, 1]);
  });

  it("cancels a run at its next step when a matching cancelOn event arrives, and only that run", async () => {
    await startExecutor(handler);
    await send("cancellable", { key: "c1" });
    await send("cancellable", { key: "c2" });
    await eventually(() => calls.get("c1:first") === 1 && calls.get("c2:first") === 1);
    await send("cancel", { key: "c1" });
    await eventually(async () => (await runsOf(fn("cancellable"))).find((run) => run.event.data.key === "c1" && run.status === "cancelled"));
    gates.open("c1");
    gates.open("c2");
    expect(await finishedRun(fn("cancellable"), "c2")).toMatchObject({ status: "completed" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls.get("c1:second")).toBeUndefined();
    expect(calls.get("c2:second")).toBe(1);
    const cancelled = (await runsOf(fn("cancellable"))).find((run) => run.event.data.key === "c1")!;
    expect(cancelled).toMatchObject({ status: "cancelled", leaseToken: null, steps: {} });
  });

  it("fails a run loudly on a step it does not support (step.waitForEvent)", async () => {
    const errors = vi.spyOn(log, "error");
    await startExecutor(handler);
    await send("waiting", { key: "w1" });
    const run = await finishedRun(fn("waiting"), "w1");
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({
      name: "UnsupportedByLocalExecutor",
      message: expect.stringMatching(/local executor does not support step\.waitForEvent\(\).*Inngest server/),
    });
    expect(calls.get("w1:before")).toBe(1);
    // The run is stored as failed a moment before the executor logs why.
    await vi.waitFor(() => expect(errors.mock.calls.some(([, message]) => typeof message === "string" && message.includes("step.waitForEvent()"))).toBe(true));
    errors.mockRestore();
  });

  it("fails every run of a function with an option it does not support (throttle), without running it", async () => {
    await startExecutor(handler);
    await send("throttled", { key: "t1" });
    const run = await finishedRun(fn("throttled"), "t1");
    expect(run).toMatchObject({ status: "failed", error: { message: expect.stringContaining("does not support the function option throttle") } });
    expect(calls.get("t1:throttled")).toBeUndefined();
  });
});
