// The load benchmark's checks at CI size (bench/load-api.ts runs them at 3 × 500 streams): a wave of
// 20 streaming chat completions and a burst of non-streaming ones through two app processes serving
// /api/v1 as production workers do, the fake provider streaming at 20 tokens/s. No stream may
// break, arrive in one piece or stall, and afterwards the usage events, the quota's period counters
// and every rollup must equal what the clients were told, exactly. PostgreSQL only (the processes
// share the database).
//
// The stall line here is 2 s, not the benchmark's 10× the cadence (500 ms): CI runs test files side
// by side on two cores, and on this machine streams read straight from the fake, with no Keel in
// between, already showed gaps up to 1.6 s under other work (bench/README.md, "Load"). A chunk held
// back, or an event loop blocked for seconds, still fails it.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { connectionPool, openLoop, streamWave, sumUsage, waveFigures, type ApiTarget } from "@/bench/api-load";
import { reconcileUsage, type Reconciliation } from "@/bench/usage-reconcile";
import { seedBenchWorkspace } from "@/bench/workspace";
import { createApiKey } from "@/lib/auth/api-keys";
import { uniqueEmail } from "@/test/fixtures";

const onPostgres = Boolean(process.env.DATABASE_URL);
const CADENCE_MS = 50;
const TOKENS = 40;
const STREAMS_PER_WORKER = 10;
const STALL_MS = 2_000;
const children: ChildProcess[] = [];
const ports: number[] = [];

/** Starts a child process and resolves with the first JSON line it prints. */
function startChild(script: string, env: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line) as unknown);
    });
    child.on("exit", (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

beforeAll(async () => {
  if (!onPostgres) return;
  // The fake provider in a process of its own, as in the benchmark: its chunk timers must not wait
  // behind this process's reading of the streams.
  const { url } = z
    .object({ url: z.string().url() })
    .parse(await startChild("bench/fake-provider.ts", { BENCH_TOKENS: String(TOKENS), BENCH_CADENCE_MS: String(CADENCE_MS) }));
  const provider = { OPENAI_API_KEY: "test", OPENAI_BASE_URL: url, GOOGLE_GENERATIVE_AI_API_KEY: "", OPENAI_COMPATIBLE_BASE_URL: "" };
  const workers = await Promise.all([startChild("test/api-worker.ts", provider), startChild("test/api-worker.ts", provider)]);
  ports.push(...workers.map((w) => z.object({ port: z.number().int() }).parse(w).port));
}, 60_000);
afterAll(async () => {
  await Promise.all(
    children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once("exit", resolve), child.kill("SIGTERM"))))),
  );
});

/** The meter writes off the response path: wait until its batches have landed (or time runs out). */
async function reconcileWhenSettled(tenantId: string, answered: Parameters<typeof reconcileUsage>[1]): Promise<Reconciliation[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const checks = await reconcileUsage(tenantId, answered);
    if (checks.every((c) => c.ok) || Date.now() > deadline) return checks;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.runIf(onPostgres)("the API under a CI-sized load", () => {
  it("streams 20 answers at once without a stall or an error, then reconciles usage exactly", async () => {
    const { ctx } = await seedBenchWorkspace("Load in CI", uniqueEmail("load"));
    const { key } = await createApiKey(ctx, "load");
    const targets: ApiTarget[] = ports.map((port) => ({ origin: `http://127.0.0.1:${port}`, apiKey: key }));
    const pools = targets.map((t) => connectionPool(t.origin, STREAMS_PER_WORKER + 8));
    try {
      // Warm each worker first (modules, JIT, pools, the key and tenant caches), as a server in service is.
      const warm = (await Promise.all(targets.map((t, i) => streamWave(pools[i]!, t, 2)))).flat();
      const warmUsage = sumUsage(warm.map((s) => s.usage));
      const samples = (await Promise.all(targets.map((t, i) => streamWave(pools[i]!, t, STREAMS_PER_WORKER)))).flat();
      const wave = waveFigures(samples, STALL_MS);
      expect(wave.errorSamples).toEqual([]);
      expect(wave.peakInFlight).toBe(2 * STREAMS_PER_WORKER);
      expect(wave.gapsOver, `largest gap ${wave.maxGapMs.toFixed(0)} ms`).toBe(0);
      // Each answer arrived whole, one event per provider chunk, paced by the provider.
      expect(samples.map((s) => s.contentEvents)).toEqual(samples.map(() => TOKENS));
      expect(samples.map((s) => s.usage?.completionTokens)).toEqual(samples.map(() => TOKENS));
      // Paced, not held back and sent in one piece: each answer took at least half its provider's time.
      const minimumSpanMs = 0.5 * (TOKENS - 1) * CADENCE_MS;
      expect(samples.filter((s) => s.endedAt - s.firstAt < minimumSpanMs)).toEqual([]);

      const rates = await Promise.all(targets.map((t, i) => openLoop(pools[i]!, t, 10, 2)));
      expect(rates.flatMap((r) => r.errorSamples)).toEqual([]);
      expect(rates.map((r) => r.requests)).toEqual([20, 20]);

      const answered = { calls: 4 + samples.length + 40, usage: sumUsage([warmUsage, wave.usage, ...rates.map((r) => r.usage)]) };
      const failed = (await reconcileWhenSettled(ctx.tenantId, answered)).filter((c) => !c.ok);
      expect(failed).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });
});
