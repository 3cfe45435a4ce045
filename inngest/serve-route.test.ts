// /api/inngest is never open: under production settings an unsigned request runs nothing, whether
// INNGEST_DEV slipped through (refused by the route) or a signing key is set (refused by the SDK's
// own signature check, which lets a request signed with that key through); unsigned requests run
// only in Dev Server mode outside production; with the local executor every request is refused.
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { Inngest } from "inngest";
import { serve } from "inngest/next";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { buildExecutionRequest } from "./local-executor/protocol";
import { inngestRoute, type InngestServeHandler } from "./serve-route";

const signingKey = `signkey-prod-${randomBytes(32).toString("hex")}`;
const ran: string[] = [];

/** A real serve() handler for one function whose step records that it ran; `isDev` as the client would have it. */
function handlerFor(isDev: boolean): { handler: InngestServeHandler; fnId: string; eventName: string } {
  const app = `route-test-${randomUUID().slice(0, 8)}`;
  const client = new Inngest({ id: app, isDev, ...(isDev ? {} : { signingKey }) });
  const listTenants = client.createFunction({ id: "list-tenants", triggers: [{ event: `${app}/listed` }] }, async ({ step }) => {
    await step.run("list", () => ran.push(app));
  });
  return { handler: serve({ client, functions: [listTenants] }) as unknown as InngestServeHandler, fnId: `${app}-list-tenants`, eventName: `${app}/listed` };
}

/** JSON with object keys sorted (RFC 8785 for plain data): what the SDK signs and verifies. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/** Inngest's execution request for the function's first step, unsigned or signed as Inngest signs it. */
async function executionRequest({ fnId, eventName }: { fnId: string; eventName: string }, sign: boolean): Promise<NextRequest> {
  const built = buildExecutionRequest({
    functionId: fnId,
    stepUrl: "",
    stepId: "step",
    runId: `01${randomUUID().replace(/-/g, "").slice(0, 24).toUpperCase()}`,
    event: { id: randomUUID(), name: eventName, data: {}, ts: Date.now() },
    steps: {},
    stack: [],
    stackCurrent: 0,
    forceStepPlan: false,
    attempt: 0,
    maxAttempts: 1,
    requestVersion: null,
  });
  const body = await built.text();
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (sign) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = signingKey.replace(/^signkey-\w+-/, "");
    headers["x-inngest-signature"] = `t=${timestamp}&s=${createHmac("sha256", key)
      .update(canonical(JSON.parse(body)))
      .update(timestamp)
      .digest("hex")}`;
  }
  return new NextRequest(`https://keel.example.com${new URL(built.url).pathname}${new URL(built.url).search}`, { method: "POST", headers, body });
}

const production = { NODE_ENV: "production", AUTH_SECRET: "s".repeat(44), AUTH_URL: "https://keel.example.com" };

describe("/api/inngest under production settings", () => {
  it("refuses an unsigned request when INNGEST_DEV got through, and runs no step", async () => {
    // As if the client had taken Dev Server mode from INNGEST_DEV: unguarded, it would run the step.
    const { handler, ...fn } = handlerFor(true);
    const route = inngestRoute(handler, () => ({ ...production, INNGEST_DEV: "1" }));
    const before = ran.length;
    const response = await route.POST(await executionRequest(fn, false));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^INNGEST_DEV is set in production/) });
    expect(ran.length).toBe(before);
  });

  it("with a signing key, lets the SDK refuse an unsigned request (no step runs) and accept one signed with the key", async () => {
    const { handler, ...fn } = handlerFor(false);
    const route = inngestRoute(handler, () => ({ ...production, INNGEST_SIGNING_KEY: signingKey, INNGEST_EVENT_KEY: "event-key" }));
    const before = ran.length;
    const unsigned = await route.POST(await executionRequest(fn, false));
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toEqual({ message: "Unauthorized" });
    expect(ran.length).toBe(before);

    const signed = await route.POST(await executionRequest(fn, true));
    expect(signed.status).toBe(206);
    expect(ran.length).toBe(before + 1);
  });
});

describe("/api/inngest elsewhere", () => {
  it("accepts unsigned requests in Dev Server mode outside production", async () => {
    const { handler, ...fn } = handlerFor(true);
    const route = inngestRoute(handler, () => ({ NODE_ENV: "development", INNGEST_DEV: "1" }));
    const before = ran.length;
    expect((await route.POST(await executionRequest(fn, false))).status).toBe(206);
    expect(ran.length).toBe(before + 1);
  });

  it("refuses everything while the local executor runs the jobs", async () => {
    const { handler, ...fn } = handlerFor(true);
    const route = inngestRoute(handler, () => ({ NODE_ENV: "development" }));
    const response = await route.POST(await executionRequest(fn, false));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/local executor/) });
  });
});
