// Scheduling in the local executor: a concurrency key's limit holds across executors while other
// keys go on, priority moves runs ahead, a cron tick starts exactly one run however many executors
// see it (with an injected clock), and a stopped executor's runs resume elsewhere without
// re-running the steps that finished.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { Inngest } from "inngest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localExecutorRuns } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { localExecutorClientOptions } from "@/inngest/client";
import { keelLogger } from "./keel";
import { keelExecutorStore } from "./keel-store";
import { routeEvents } from "./router";
import { eventually, finishedRun, Gates, runsOf, serveHandler, startExecutor, stopExecutors } from "@/test/local-executor-harness";

const app = `scheduling-test-${randomUUID().slice(0, 8)}`;
const client = new Inngest({ id: app, ...localExecutorClientOptions });
const fn = (id: string) => `${app}-${id}`;
const event = (name: string) => `${app}/${name}`;
const dataOf = (e: { data: unknown }) => e.data as { key: string; tenant?: string; priority?: number };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const calls = new Map<string, number>();
const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
const gates = new Gates();

const running = new Map<string, number>();
const mostAtOnce = new Map<string, number>();
const finishedTenants: string[] = [];
const limited = client.createFunction(
  { id: "limited", concurrency: { key: "event.data.tenant", limit: 2 }, triggers: [{ event: event("limited") }] },
  async ({ event, step }) => {
    const tenant = dataOf(event).tenant!;
    await step.run("work", async () => {
      running.set(tenant, (running.get(tenant) ?? 0) + 1);
      mostAtOnce.set(tenant, Math.max(mostAtOnce.get(tenant) ?? 0, running.get(tenant)!));
      await pause(150);
      running.set(tenant, running.get(tenant)! - 1);
      finishedTenants.push(tenant);
    });
  },
);

const order: string[] = [];
const prioritised = client.createFunction(
  { id: "prioritised", priority: { run: "event.data.priority" }, triggers: [{ event: event("prioritised") }] },
  async ({ event, step }) => {
    await step.run("record", () => order.push(dataOf(event).key));
  },
);

const resumable = client.createFunction({ id: "resumable", triggers: [{ event: event("resumable") }] }, async ({ event, step }) => {
  const { key } = dataOf(event);
  await step.run("a", () => count(`${key}:a`));
  await step.run("b", async () => {
    count(`${key}:b`);
    await gates.wait(key);
  });
  await step.run("c", () => count(`${key}:c`));
});

const handler = serveHandler(client, [limited, prioritised, resumable]);
const send = (name: string, data: Record<string, unknown>) => client.send({ name: event(name), data });

// Crons in an app of their own, driven by an injected clock far from the real one.
const cronApp = new Inngest({ id: `${app}-cron`, ...localExecutorClientOptions });
const ticks: string[] = [];
const ticking = cronApp.createFunction({ id: "ticking", triggers: [{ cron: "TZ=UTC */5 * * * *" }] }, async ({ event, step }) => {
  await step.run("tick", () => ticks.push(String((event.data as { cron?: string }).cron)));
});
const cronHandler = serveHandler(cronApp, [ticking]);

beforeAll(async () => {
  await (await startExecutor(handler)).stop();
});
afterEach(stopExecutors);
afterAll(stopExecutors);

describe("concurrency keys", () => {
  it("never runs more than the limit for one key at once, across executors, while other keys proceed", async () => {
    for (let i = 0; i < 6; i++) await send("limited", { key: `busy-${i}`, tenant: "busy" });
    for (let i = 0; i < 2; i++) await send("limited", { key: `quiet-${i}`, tenant: "quiet" });
    await Promise.all([startExecutor(handler), startExecutor(handler)]);
    await eventually(async () => (await runsOf(fn("limited"))).filter((run) => run.status === "completed").length === 8);
    expect(mostAtOnce.get("busy")).toBe(2);
    expect(mostAtOnce.get("quiet")).toBeLessThanOrEqual(2);
    // The quiet tenant was not queued behind the busy one.
    expect(finishedTenants.lastIndexOf("quiet")).toBeLessThan(finishedTenants.lastIndexOf("busy"));
    const lastQuiet = finishedTenants.lastIndexOf("quiet");
    expect(finishedTenants.slice(0, lastQuiet).filter((t) => t === "busy").length).toBeLessThanOrEqual(4);
  });
});

describe("priority", () => {
  it("runs a run with priority.run seconds of head start before older ones", async () => {
    for (const key of ["low-1", "low-2", "low-3"]) await send("prioritised", { key, priority: 0 });
    await send("prioritised", { key: "high", priority: 120 });
    // All four queued before any is claimed (an executor of another test file may be routing too).
    await eventually(async () => (await routeEvents(keelExecutorStore, keelLogger, new Date()), (await runsOf(fn("prioritised"))).length === 4));
    await startExecutor(handler, { settings: { slots: 1 } });
    await eventually(() => order.length === 4);
    expect(order).toEqual(["high", "low-1", "low-2", "low-3"]);
  });
});

describe("crons", () => {
  it("fire on their schedule, each tick once across two executors", async () => {
    let now = new Date("2031-01-01T00:03:00Z");
    const clock = () => now;
    const executors = await Promise.all([startExecutor(cronHandler, { now: clock }), startExecutor(cronHandler, { now: clock })]);
    const tickRuns = async () => (await runsOf(`${app}-cron-ticking`)).filter((run) => run.status === "completed");

    await pause(400);
    expect(await runsOf(`${app}-cron-ticking`)).toHaveLength(0);

    now = new Date("2031-01-01T00:05:00Z");
    for (const executor of executors) executor.wake();
    await eventually(async () => (await tickRuns()).length === 1);
    await pause(600); // both executors make several passes: still one run
    expect(await runsOf(`${app}-cron-ticking`)).toHaveLength(1);

    now = new Date("2031-01-01T00:11:30Z");
    for (const executor of executors) executor.wake();
    await eventually(async () => (await tickRuns()).length === 2);
    await pause(600);
    const runs = await runsOf(`${app}-cron-ticking`);
    expect(runs).toHaveLength(2);
    expect(runs.map((run) => run.event.name)).toEqual(["inngest/scheduled.timer", "inngest/scheduled.timer"]);
    expect(ticks).toEqual(["TZ=UTC */5 * * * *", "TZ=UTC */5 * * * *"]);
  });
});

describe("restarts", () => {
  it("resume a run on another executor without re-running its finished steps", async () => {
    const first = await startExecutor(handler);
    await send("resumable", { key: "r1" });
    await eventually(() => calls.get("r1:b") === 1);
    // Stopping lets the step in flight finish and records it.
    const stopping = first.stop({ graceMs: 10_000 });
    gates.open("r1");
    await stopping;
    const [paused] = (await runsOf(fn("resumable"))).filter((run) => run.event.data.key === "r1");
    expect(paused).toMatchObject({ status: "active", leaseToken: null });
    expect(paused!.stack).toHaveLength(2);

    await startExecutor(handler);
    expect(await finishedRun(fn("resumable"), "r1")).toMatchObject({ status: "completed" });
    expect([calls.get("r1:a"), calls.get("r1:b"), calls.get("r1:c")]).toEqual([1, 1, 1]);
  });

  it("give a step cut off at shutdown to the next executor at once, and drop the cut-off result", async () => {
    const first = await startExecutor(handler);
    await send("resumable", { key: "r2" });
    await eventually(() => calls.get("r2:b") === 1);
    await first.stop({ graceMs: 50 });
    const [released] = (await runsOf(fn("resumable"))).filter((run) => run.event.data.key === "r2");
    expect(released).toMatchObject({ status: "active", leaseToken: null, leasedUntil: null });

    await startExecutor(handler);
    await eventually(() => calls.get("r2:b") === 2);
    gates.open("r2");
    expect(await finishedRun(fn("resumable"), "r2")).toMatchObject({ status: "completed" });
    // Step a finished before the stop and ran once; b was cut off and ran again; c once.
    expect([calls.get("r2:a"), calls.get("r2:b"), calls.get("r2:c")]).toEqual([1, 2, 1]);
  });

  it("take over a run whose executor stopped renewing its lease (a crashed process), and drop the old result", async () => {
    await startExecutor(handler, { settings: { leaseMs: 60_000 } });
    await send("resumable", { key: "r3" });
    await eventually(() => calls.get("r3:b") === 1);
    // As if that process had died mid-step: nobody renews the lease, and it runs out.
    await withSystem("test: let a lease run out", (tx) =>
      tx
        .update(localExecutorRuns)
        .set({ leasedUntil: new Date(Date.now() - 1_000) })
        .where(sql`${localExecutorRuns.event}->'data'->>'key' = 'r3'`),
    );
    await startExecutor(handler);
    await eventually(() => calls.get("r3:b") === 2);
    gates.open("r3");
    expect(await finishedRun(fn("resumable"), "r3")).toMatchObject({ status: "completed" });
    expect([calls.get("r3:a"), calls.get("r3:b"), calls.get("r3:c")]).toEqual([1, 2, 1]);
  });
});
