// Who runs the jobs: an Inngest server when one is configured, else the local executor; and
// /api/inngest refuses every request while the local executor runs them.
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it } from "vitest";
import { GET, POST, PUT } from "@/app/api/inngest/route";
import { functions } from "./index";
import { jobRuntime, localExecutorSettings } from "@/core/job-runtime";

const env = (vars: Record<string, string>) => ({ NODE_ENV: "test", ...vars }) as NodeJS.ProcessEnv;

describe("jobRuntime", () => {
  it.each([
    [{}, "local-executor"],
    [{ INNGEST_DEV: "0" }, "local-executor"],
    [{ INNGEST_DEV: "1" }, "inngest-server"],
    [{ INNGEST_DEV: "http://127.0.0.1:8288" }, "inngest-server"],
    [{ INNGEST_BASE_URL: "http://inngest.internal:8288" }, "inngest-server"],
    [{ INNGEST_EVENT_KEY: "key" }, "inngest-server"],
    [{ INNGEST_SIGNING_KEY: "signkey-prod-abc" }, "inngest-server"],
  ])("%o → %s", (vars, kind) => {
    expect(jobRuntime(env(vars)).kind).toBe(kind);
  });

  it("names the local executor as such, and says production uses an Inngest server", () => {
    expect(jobRuntime(env({})).description).toMatch(/^local executor .*production uses an Inngest server/);
  });

  it("refuses settings that are not positive numbers", () => {
    expect(localExecutorSettings(env({ KEEL_LOCAL_EXECUTOR_SLEEP_SCALE: "0.01" })).sleepScale).toBe(0.01);
    expect(() => localExecutorSettings(env({ KEEL_LOCAL_EXECUTOR_SLEEP_SCALE: "fast" }))).toThrow(/KEEL_LOCAL_EXECUTOR_SLEEP_SCALE/);
    expect(() => localExecutorSettings(env({ KEEL_LOCAL_EXECUTOR_SLOTS: "1.5" }))).toThrow(/positive integer/);
  });
});

describe("/api/inngest", () => {
  afterEach(() => {
    delete process.env.INNGEST_DEV;
  });
  const request = (method: string) =>
    new NextRequest("http://localhost:3000/api/inngest?fnId=keel-analyze-document&stepId=step", {
      method,
      headers: { "content-type": "application/json" },
      ...(method === "GET" ? {} : { body: JSON.stringify({ event: { name: "document/uploaded", data: {} }, steps: {}, ctx: { run_id: "x" } }) }),
    });

  it("refuses every request while the local executor runs the jobs (no signing key would stop an outsider)", async () => {
    for (const [method, handler] of [
      ["GET", GET],
      ["POST", POST],
      ["PUT", PUT],
    ] as const) {
      const response = await handler(request(method));
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: expect.stringMatching(/local executor/) });
    }
  });

  it("serves Inngest's endpoint when an Inngest server is configured", async () => {
    process.env.INNGEST_DEV = "1";
    const response = await GET(request("GET"));
    expect(response.status).toBe(200);
    // Every function in inngest/index.ts, plus one for each onFailure handler (analyze-document,
    // reembed, deliver-webhook, export-workspace), which Inngest counts as a function of its own.
    expect(await response.json()).toMatchObject({ function_count: functions.length + 4 });
  });
});
