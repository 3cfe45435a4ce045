// /api/health answers without looking at anything; /api/ready checks the database, the migrations
// and the job runner, and says which check failed.
import { describe, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { GET as ready } from "@/app/api/ready/route";
import { processSingleton } from "@/core/process-singleton";
import { jobRunnerStatus } from "./job-runner-status";
import { readinessChecks } from "./readiness";

const executorState = processSingleton("jobs:local-executor-state", () => ({ state: "not started" }));

describe("health and readiness", () => {
  it("is alive", async () => {
    const response = await health();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("is ready once the local executor runs, with every migration applied", async () => {
    executorState.state = "running";
    const response = await ready();
    const body = (await response.json()) as { status: string; checks: { name: string; ok: boolean; detail: string }[] };
    expect(response.status).toBe(200);
    expect(body.checks.map((c) => [c.name, c.ok])).toEqual([
      ["database", true],
      ["migrations", true],
      ["jobs", true],
    ]);
  });

  it("is not ready while nothing runs the jobs, and names the failing check", async () => {
    executorState.state = "stopped";
    const response = await ready();
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(body.checks.find((c) => c.name === "jobs")).toMatchObject({ ok: false, detail: "local executor: stopped" });
  });

  it("is not ready when the job runner does not answer in time", async () => {
    const checks = await readinessChecks(() => new Promise(() => {}));
    expect(checks.find((c) => c.name === "jobs")).toMatchObject({ ok: false });
  }, 10_000);

  it("counts on the job process from a serving worker whose jobs run there", async () => {
    const env = { ...process.env, INNGEST_DEV: undefined, INNGEST_EVENT_KEY: undefined, INNGEST_SIGNING_KEY: undefined, INNGEST_BASE_URL: undefined };
    executorState.state = "not started";
    expect(await jobRunnerStatus({ ...env, KEEL_PROCESS_ROLE: "all" })).toEqual({ ok: false, detail: "local executor: not started" });
    expect(await jobRunnerStatus({ ...env, KEEL_PROCESS_ROLE: "web" })).toEqual({ ok: true, detail: "local executor: in the job process (not probed)" });
  });

  it("probes a configured Inngest server's address", async () => {
    const status = await jobRunnerStatus({
      ...process.env,
      INNGEST_DEV: undefined,
      INNGEST_EVENT_KEY: undefined,
      INNGEST_SIGNING_KEY: undefined,
      INNGEST_BASE_URL: "http://127.0.0.1:9",
    });
    expect(status.ok).toBe(false);
    expect(status.detail).toMatch(/not reachable/);
  });
});
