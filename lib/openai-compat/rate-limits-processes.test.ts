// Rate limits hold across worker processes: two app processes, each with its own gateway, limiter
// and connection pool on the shared PostgreSQL database, serve the same keys at once. (The embedded
// database is one process's, so this runs on PostgreSQL only.)
import { spawn, type ChildProcess } from "node:child_process";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { updateRateLimits, type RateLimitSettingsInput } from "@/lib/ai/rate-limit-settings";
import { createApiKey } from "@/lib/auth/api-keys";
import type { TenantContext } from "@/lib/tenancy/context";
import { createTenant } from "@/test/fixtures";
import { startFakeProvidersForFile } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();
const onPostgres = Boolean(process.env.DATABASE_URL);
const workers: ChildProcess[] = [];
const ports: number[] = [];

function startWorker(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/api-worker.ts"], {
      env: { ...process.env, OPENAI_API_KEY: "test", OPENAI_BASE_URL: servers.openai.url, KEEL_MAX_RETRIES: "0", GOOGLE_GENERATIVE_AI_API_KEY: "" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    workers.push(child);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.on("exit", (code) => reject(new Error(`api worker exited ${code}`)));
  });
}

beforeAll(async () => {
  if (!onPostgres) return;
  ports.push(...(await Promise.all([startWorker(), startWorker()])));
}, 60_000);
afterAll(async () => {
  await Promise.all(
    workers.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once("exit", resolve), child.kill("SIGTERM"))))),
  );
});

const noLimits: RateLimitSettingsInput = {
  keyRequestsPerMinute: null,
  keyTokensPerMinute: null,
  workspaceRequestsPerMinute: null,
  workspaceTokensPerMinute: null,
};

/** A key's client on each worker. */
async function clientsFor(owner: TenantContext): Promise<OpenAI[]> {
  const { key } = await createApiKey(owner, "two workers");
  return ports.map((port) => new OpenAI({ baseURL: `http://127.0.0.1:${port}/api/v1`, apiKey: key, maxRetries: 0 }));
}

/** Fires every call at once; counts answers and 429s. */
async function burst(calls: Array<() => Promise<unknown>>): Promise<{ ok: number; refused: number }> {
  const outcomes = await Promise.allSettled(calls.map((call) => call()));
  const other = outcomes.filter((o) => o.status === "rejected" && !(o.reason instanceof OpenAI.RateLimitError));
  expect(other.map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
  const ok = outcomes.filter((o) => o.status === "fulfilled").length;
  return { ok, refused: outcomes.length - ok };
}

const ask =
  (client: OpenAI, maxTokens = 20) =>
  () =>
    client.chat.completions.create(
      { model: "keel-chat", messages: [{ role: "user", content: "Hello from a worker" }], max_tokens: maxTokens },
      { headers: { "x-keel-cache": "no-cache, no-store" } },
    );

describe.runIf(onPostgres)("API rate limits across two worker processes", () => {
  it("hold a key's requests per minute", async () => {
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 2, output: 1 } });
    const owner = await createTenant("Two workers, key");
    await updateRateLimits(owner, { ...noLimits, keyRequestsPerMinute: 5 });
    const [one, two] = await clientsFor(owner);
    const calls = Array.from({ length: 12 }, (_, i) => ask(i % 2 === 0 ? one! : two!));
    expect(await burst(calls)).toEqual({ ok: 5, refused: 7 });
  });

  it("hold a workspace's requests per minute across its keys", async () => {
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 2, output: 1 } });
    const owner = await createTenant("Two workers, workspace");
    await updateRateLimits(owner, { ...noLimits, keyRequestsPerMinute: 50, workspaceRequestsPerMinute: 6 });
    const [a1, a2] = await clientsFor(owner);
    const [b1, b2] = await clientsFor(owner);
    const calls = Array.from({ length: 16 }, (_, i) => ask([a1!, a2!, b1!, b2!][i % 4]!));
    expect(await burst(calls)).toEqual({ ok: 6, refused: 10 });
  });

  it("hold a key's tokens per minute on the estimates of calls in flight", async () => {
    // Slow answers: nothing is settled while the burst is admitted.
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 2, output: 1 }, delayMs: 2_000 });
    const owner = await createTenant("Two workers, tokens");
    await updateRateLimits(owner, { ...noLimits, keyTokensPerMinute: 1_000 });
    const [one, two] = await clientsFor(owner);
    // Each call is estimated at max_tokens (300) plus its prompt: three fit in 1,000, a fourth does not.
    const calls = Array.from({ length: 8 }, (_, i) => ask(i % 2 === 0 ? one! : two!, 300));
    expect(await burst(calls)).toEqual({ ok: 3, refused: 5 });
  });
});
