// The conformance suite. fixtures/ holds HTTP exchanges recorded from the real serve() handler,
// driven the way Inngest's executor drives it (reference-driver.ts), for every operation Keel's
// jobs use. Two checks:
//   1. the fixtures still match what the installed SDK answers (an SDK upgrade that changes the
//      protocol fails here; record.ts records them again);
//   2. the local executor, on Keel's database, replaying a scenario against a handler that answers
//      from the fixture, sends exactly the recorded requests, in order, and ends each run as Inngest
//      would (status, output, error), or, where Inngest would suspend the run on an op the executor
//      does not support, fails it there with UnsupportedByLocalExecutor.
import { readFileSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually, runsOf } from "@/test/local-executor-harness";
import { createLocalExecutor, type LocalExecutor } from "../executor";
import { keelLogger } from "../keel";
import { keelExecutorStore } from "../keel-store";
import { routeEvents } from "../router";
import type { ExecutorEvent } from "../types";
import { normalize } from "./normalize";
import type { RecordedResponse } from "./reference-driver";
import { RUN_ID, recordAppRegistration, recordScenario, scenarios, type Fixture } from "./scenarios";

const folder = path.join(import.meta.dirname, "fixtures");
const readFixture = <T>(name: string): T => JSON.parse(readFileSync(path.join(folder, `${name}.json`), "utf8")) as T;
const registration = readFixture<Awaited<ReturnType<typeof recordAppRegistration>>>("registration");

/** The SDK's version may change without the protocol changing: compared apart from the rest. */
function withoutSdkVersion(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === "x-inngest-sdk" || key === "sdk" ? undefined : v));
}

/** The sync answer's protocol: the app and its functions (not the SDK's view of its environment). */
const syncProtocol = (response: RecordedResponse) => {
  const { app_id, framework, url, functions } = response.body as Record<string, unknown>;
  return { status: response.status, headers: withoutSdkVersion(response.headers), body: { app_id, framework, url, functions } };
};

describe("the conformance fixtures", () => {
  it("match what the installed inngest SDK's serve() handler answers", async () => {
    const current = normalize(await recordAppRegistration(), { runIds: [RUN_ID] }) as typeof registration;
    expect(current.request).toEqual(registration.request);
    expect(syncProtocol(current.response)).toEqual(syncProtocol(registration.response));
    for (const scenario of scenarios) {
      const recorded = withoutSdkVersion(normalize(await recordScenario(scenario), { runIds: [RUN_ID] }));
      expect(recorded, `fixtures/${scenario.name}.json no longer matches the SDK: run record.ts and read the diff`).toEqual(
        withoutSdkVersion(readFixture<Fixture>(scenario.name)),
      );
    }
  }, 60_000);
});

const toResponse = (recorded: RecordedResponse) =>
  new Response(typeof recorded.body === "string" ? recorded.body : JSON.stringify(recorded.body), { status: recorded.status, headers: recorded.headers });

const runKey = (functionId: string, event: { id: string; name: string }) => `${functionId}|${event.name.startsWith("inngest/") ? event.name : event.id}`;

interface Replay {
  handler: (request: Request) => Promise<Response>;
  mismatches: string[];
  consumed: () => boolean;
  /** The most requests that were in flight at once. */
  mostInFlight: () => number;
}

/** A serve handler that checks each request against the fixture and answers with the recorded response. */
function replayOf(fixture: Fixture, clock: () => Date): Replay {
  const runs = fixture.runs.map((run) => ({ run, key: runKey(run.functionId, run.event), next: 0 }));
  const runIds = new Set<string>();
  const mismatches: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const refuse = (why: string) => {
    mismatches.push(why);
    return new Response(JSON.stringify({ name: "ConformanceMismatch", message: why }), { status: 400, headers: { "x-inngest-no-retry": "true" } });
  };
  const handler = async (request: Request): Promise<Response> => {
    if (request.method === "PUT") return toResponse(registration.response);
    const url = new URL(request.url);
    const body = (await request.json()) as { event: ExecutorEvent; ctx: { run_id: string } };
    runIds.add(body.ctx.run_id);
    const fnId = url.searchParams.get("fnId") ?? "";
    const index = runs.findIndex((r) => r.key === runKey(fnId, body.event) && r.next < r.run.exchanges.length);
    const entry = runs[index];
    if (!entry) return refuse(`an unexpected request for ${fnId} (event ${body.event.name})`);
    const expected = entry.run.exchanges[entry.next]!;
    const actual = { method: request.method, query: { fnId, stepId: url.searchParams.get("stepId") ?? "" }, body: normalize(body, { runIds }) };
    // Key order is not part of JSON's meaning (the database stores events with its own order).
    if (!isDeepStrictEqual(actual, expected.request))
      return refuse(
        `request ${entry.next} of ${entry.key} differs from the fixture:\n  sent     ${JSON.stringify(actual)}\n  recorded ${JSON.stringify(expected.request)}`,
      );
    entry.next++;
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    // Each answer takes a moment, so requests another run could make meanwhile would overlap it.
    if (fixture.concurrencyLimit) await new Promise((resolve) => setTimeout(resolve, 100));
    inFlight--;
    if (fixture.sendAfter && index === 0 && entry.next === fixture.sendAfter.exchanges) {
      // Between this request and the next: the cancelling event arrives and is routed.
      await keelExecutorStore.transaction("test: send an event", (tx) => tx.insertEvents([fixture.sendAfter!.event]));
      await routeEvents(keelExecutorStore, keelLogger, clock());
    }
    return toResponse(expected.response);
  };
  return { handler, mismatches, consumed: () => runs.every((r) => r.next === r.run.exchanges.length), mostInFlight: () => mostInFlight };
}

// Opening the database (an embedded one takes seconds) is not part of any scenario's time.
beforeAll(() => keelExecutorStore.nextDueAt(["conformance-warm-up"]), 60_000);

const started: LocalExecutor[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((executor) => executor.stop({ graceMs: 2_000 })));
});

describe("the local executor against the recorded exchanges", () => {
  for (const scenario of scenarios) {
    const fixture = readFixture<Fixture>(scenario.name);
    it(`${scenario.name}: ${fixture.about}`, async () => {
      let now: Date | null = fixture.cronTick ? new Date(new Date(fixture.cronTick).getTime() - 60_000) : null;
      const clock = () => now ?? new Date();
      const replay = replayOf(fixture, clock);
      if (fixture.cronTick) {
        // The tick is computed from the executor's clock when the schedule is first stored.
        await keelExecutorStore.transaction("test: forget the cron's schedule", (tx) => tx.syncCrons(fixture.runs[0]!.functionId, []));
      }
      const executor = createLocalExecutor({
        handler: replay.handler,
        store: keelExecutorStore,
        logger: keelLogger,
        settings: { sleepScale: 0.001, pollMs: 100, leaseMs: 10_000, slots: 4 },
        ...(fixture.stepLimit ? { limits: { steps: fixture.stepLimit } } : {}),
        now: clock,
      });
      started.push(executor);
      await executor.start();
      if (fixture.cronTick) {
        now = new Date(fixture.cronTick);
        executor.wake();
      } else {
        const events = scenario.events;
        await keelExecutorStore.transaction("test: send the scenario's events", (tx) => tx.insertEvents(events));
      }

      const finished = async () => {
        const stored = (await Promise.all([...new Set(fixture.runs.map((r) => r.functionId))].map((id) => runsOf(id)))).flat();
        return fixture.runs.map((expected) =>
          stored.find((run) => run.status !== "active" && runKey(run.functionId, run.event) === runKey(expected.functionId, expected.event)),
        );
      };
      const runs = await eventually(async () => {
        const found = await finished();
        return (replay.mismatches.length > 0 || (replay.consumed() && found.every(Boolean))) && found;
      }, 20_000);
      expect(replay.mismatches).toEqual([]);
      if (fixture.concurrencyLimit) expect(replay.mostInFlight()).toBe(fixture.concurrencyLimit);

      const runIds = runs.flatMap((run) => (run ? [run.id] : []));
      for (const [index, expected] of fixture.runs.entries()) {
        const run = runs[index]!;
        if (expected.outcome.status === "suspended") {
          // Where Inngest would suspend the run, the local executor refuses it, naming the feature.
          expect(fixture.refusedFeature, `fixtures/${scenario.name}.json: a suspended run needs refusedFeature`).toBeDefined();
          expect(run.status).toBe("failed");
          expect(run.error).toMatchObject({
            name: "UnsupportedByLocalExecutor",
            message: expect.stringContaining(`The local executor does not support ${fixture.refusedFeature} (step "${expected.outcome.step}")`),
          });
          continue;
        }
        const outcome =
          run.status === "completed"
            ? { status: run.status, output: run.output }
            : run.status === "failed"
              ? { status: run.status, error: run.error }
              : { status: run.status };
        expect(normalize(outcome, { runIds }), `the outcome of ${expected.functionId}`).toEqual(expected.outcome);
      }
    }, 30_000);
  }
});
