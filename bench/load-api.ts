// `npm run bench:load`: Keel's OpenAI-compatible API under load, against a production build served
// as `npm start` serves it (the compiled scripts/serve.ts: its serving workers and job process) on
// a fresh PostgreSQL database, with quotas, rate limits, the exact cache and metering on.
//
// 1. BENCH_WAVES waves of BENCH_STREAMS streaming chat completions sent at once through
//    /api/v1/chat/completions; the fake provider (its own process, bench/fake-provider.ts) streams
//    every answer at BENCH_CADENCE_MS between chunks (20 tokens/s), BENCH_TOKENS tokens long. Every
//    server-sent event is timed as it arrives: a gap over 10× the cadence is a stall. The serving
//    processes' resident memory (all of them, from /proc) is read before and after each wave.
// 2. Non-streaming completions at a fixed offered rate (BENCH_RATE per second for
//    BENCH_RATE_SECONDS), open loop: achieved rate, p50/p99 from each request's scheduled time.
// 3. The server is stopped (its meter flushes), then usage is reconciled in SQL under the tenant's
//    scope: events = what the clients were told = quota used = every rollup, exactly.
// Prints a pass/fail line per criterion and exits 1 when one fails.
//
// The workspace (bench/workspace.ts) is on the enterprise plan, set by a platform operator's
// changeTenantPlan, with monthly limits of 10^12 tokens and $1,000,000 and API rate limits of 10^9
// per minute (the workspace's own settings, as an owner sets them): enforced on every call, never
// reached. BENCH_DATABASE_URL or TEST_DATABASE_URL names the PostgreSQL server. BENCH_PORT,
// BENCH_SKIP_BUILD=1, KEEL_WORKERS (default: one per core, as npm start).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { z } from "zod";
import { buildProduction, productionServerArgs } from "../scripts/compiled-server";
import { connectionPool, openLoop, streamWave, sumUsage, waveFigures, type ApiTarget, type WaveFigures } from "./api-load";
import { freshDatabase, processTree, serverEnv, treeCpuMs, treeResidentBytes } from "./app-server";
import { writeBenchSummary } from "./summary";

const settings = z
  .object({
    BENCH_STREAMS: z.coerce.number().int().min(1).default(500),
    BENCH_WAVES: z.coerce.number().int().min(1).default(3),
    BENCH_TOKENS: z.coerce.number().int().min(1).default(40),
    BENCH_CADENCE_MS: z.coerce.number().min(1).default(50),
    BENCH_RATE: z.coerce.number().min(1).default(100),
    BENCH_RATE_SECONDS: z.coerce.number().min(1).default(20),
    BENCH_PORT: z.coerce.number().int().default(3293),
    /** Allowed growth of the serving processes' memory from the end of the first wave to the end of the last. */
    BENCH_MEMORY_GROWTH_PERCENT: z.coerce.number().min(0).default(10),
  })
  .parse(process.env);
const STALL_MS = 10 * settings.BENCH_CADENCE_MS;
const MiB = 1024 * 1024;

/**
 * Sockets: every stream holds one at the client, one in a serving worker and one to the provider.
 * Node raises its own soft open-file limit to the hard one as it starts (so do the server and the
 * fake it starts); only a hard limit too low for the run is left, and no process can raise that.
 */
function checkOpenFileLimit(needed: number): void {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const soft = line?.match(/^Max open files\s+(\d+|unlimited)/)?.[1];
  if (soft === undefined || soft === "unlimited" || Number(soft) >= needed) return;
  console.error(`bench:load needs ${needed} open files per process; the limit here is ${soft}. Raise the hard limit (ulimit -Hn, limits.conf) and run again.`);
  process.exit(1);
}
checkOpenFileLimit(settings.BENCH_STREAMS * 2 + 512);

function startFakeProvider(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/fake-provider.ts"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, BENCH_TOKENS: String(settings.BENCH_TOKENS), BENCH_CADENCE_MS: String(settings.BENCH_CADENCE_MS) },
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve({ child, url: z.object({ url: z.string().url() }).parse(JSON.parse(d.toString())).url }));
    child.once("exit", (code) => reject(new Error(`the fake provider exited (${code})`)));
  });
}

const stopChild = (child: ChildProcess | undefined) =>
  new Promise<number | null>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve(child?.exitCode ?? null);
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });

const fake = await startFakeProvider();
const env = serverEnv(settings.BENCH_PORT);
delete env.GOOGLE_GENERATIVE_AI_API_KEY;
delete env.OPENAI_COMPATIBLE_BASE_URL;
env.OPENAI_API_KEY = "bench";
env.OPENAI_BASE_URL = fake.url;
const dropDatabase = await freshDatabase(env, "keel_bench_load");
if (!env.DATABASE_URL) {
  console.error("bench:load runs on PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL");
  await stopChild(fake.child);
  await dropDatabase();
  process.exit(1);
}

const { seedBenchWorkspace } = await import("./workspace");
const { createApiKey } = await import("../lib/auth/api-keys");
const { closeDatabase } = await import("../db/client");
const { ctx } = await seedBenchWorkspace("Load");
const { key } = await createApiKey(ctx, "load");
await closeDatabase();

let server: ChildProcess | undefined;
/** The server's log lines at error level or above (pino's 50+), and the last few of them. */
const serverErrors: string[] = [];
let serverErrorCount = 0;
async function cleanUp() {
  await stopChild(server);
  await stopChild(fake.child);
  await closeDatabase();
  await dropDatabase();
}
process.on("SIGINT", () => void cleanUp().then(() => process.exit(130)));

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let failed = false;
try {
  if (process.env.BENCH_SKIP_BUILD !== "1") await buildProduction(env);
  server = spawn(process.execPath, [...productionServerArgs(), "-p", String(settings.BENCH_PORT), "-H", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  let pendingLine = "";
  await new Promise<void>((resolve, reject) => {
    server!.stdout!.on("data", (d: Buffer) => {
      const text = pendingLine + d.toString();
      const lines = text.split("\n");
      pendingLine = lines.pop() ?? "";
      for (const line of lines) {
        if (line.includes("Ready on")) resolve();
        const level = Number(line.match(/"level":(\d+)/)?.[1] ?? 0);
        if (level >= 50) {
          serverErrorCount++;
          if (serverErrors.length < 5) serverErrors.push(line.slice(0, 300));
        }
      }
    });
    server!.once("exit", () => reject(new Error("the Keel server exited")));
  });
  const serverPid = server.pid!;
  const serving = processTree(serverPid).length;
  const target: ApiTarget = { origin: `http://127.0.0.1:${settings.BENCH_PORT}`, apiKey: key };
  const streamPool = connectionPool(target.origin, settings.BENCH_STREAMS + 16);
  const ratePool = connectionPool(target.origin, 256);

  // Warm-up (JIT, connection pools, the tenant profile and key caches); its answers are counted too.
  const warmUp = await streamWave(streamPool, target, 50);
  const warmRate = await openLoop(ratePool, target, 50, 2);
  await wait(2_000);

  // The baseline: the same wave straight to the fake, no Keel between. Gaps here are the machine's
  // (the load generator and the fake on cores shared with everything else), not Keel's.
  const fakeUrl = new URL(fake.url);
  const directPool = connectionPool(fakeUrl.origin, settings.BENCH_STREAMS + 16);
  const direct = waveFigures(
    await streamWave(directPool, { origin: fakeUrl.origin, apiKey: "bench", path: `${fakeUrl.pathname}/chat/completions` }, settings.BENCH_STREAMS),
    STALL_MS,
  );
  await directPool.close();
  await wait(1_000);

  const waves: Array<WaveFigures & { rssBefore: number; rssAfter: number; rssPeak: number; seconds: number; cpuMsPerStream: number }> = [];
  for (let wave = 1; wave <= settings.BENCH_WAVES; wave++) {
    const rssBefore = treeResidentBytes(serverPid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, treeResidentBytes(serverPid))), 250);
    const started = performance.now();
    const cpuBefore = treeCpuMs(serverPid);
    const samples = await streamWave(streamPool, target, settings.BENCH_STREAMS).finally(() => clearInterval(sampler));
    const seconds = (performance.now() - started) / 1000;
    const cpuMsPerStream = (treeCpuMs(serverPid) - cpuBefore) / settings.BENCH_STREAMS;
    // Let the meter's batches and the sockets settle before reading memory again.
    await wait(3_000);
    waves.push({ ...waveFigures(samples, STALL_MS), rssBefore, rssAfter: treeResidentBytes(serverPid), rssPeak, seconds, cpuMsPerStream });
    process.stderr.write(`wave ${wave}/${settings.BENCH_WAVES} done\n`);
  }
  const rateCpuBefore = treeCpuMs(serverPid);
  const rate = await openLoop(ratePool, target, settings.BENCH_RATE, settings.BENCH_RATE_SECONDS);
  const cpuMsPerRequest = (treeCpuMs(serverPid) - rateCpuBefore) / rate.requests;
  await Promise.all([streamPool.close(), ratePool.close()]);

  // Stopping flushes every worker's meter; only then are the figures final.
  const exitCode = await stopChild(server);
  const answered = {
    calls:
      waves.reduce((n, w) => n + w.streams - w.errors, 0) +
      (warmUp.length - warmUp.filter((s) => s.error).length) +
      (warmRate.requests - warmRate.errors) +
      (rate.requests - rate.errors),
    usage: sumUsage([...waves.map((w) => w.usage), sumUsage(warmUp.map((s) => s.usage)), warmRate.usage, rate.usage]),
  };
  const { reconcileUsage } = await import("./usage-reconcile");
  const reconciled = await reconcileUsage(ctx.tenantId, answered);

  // The report.
  const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  console.log(
    `\nbench:load — ${settings.BENCH_WAVES} waves of ${settings.BENCH_STREAMS} streaming chat completions through /api/v1 (the fake streams ${settings.BENCH_TOKENS} tokens, ` +
      `one every ${settings.BENCH_CADENCE_MS} ms), then ${settings.BENCH_RATE} req/s non-streaming for ${settings.BENCH_RATE_SECONDS} s; production build, ` +
      `PostgreSQL, ${serving} serving processes (the primary, its workers, the job process); load average now ${load}\n`,
  );
  console.log(
    "| wave | streams | errors | peak in flight | peak streaming | TTFT p50 / p99 ms | gap p50 / p99 / max ms | gaps > " +
      STALL_MS +
      " ms | RSS before → after (peak) MiB | server CPU ms per stream | s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  waves.forEach((w, i) =>
    console.log(
      `| ${i + 1} | ${w.streams} | ${w.errors} | ${w.peakInFlight} | ${w.peakStreaming} | ${f(w.ttftP50Ms, 0)} / ${f(w.ttftP99Ms, 0)} | ${f(w.gapP50Ms)} / ${f(w.gapP99Ms)} / ${f(w.maxGapMs)} | ${w.gapsOver} | ` +
        `${f(w.rssBefore / MiB, 0)} → ${f(w.rssAfter / MiB, 0)} (${f(w.rssPeak / MiB, 0)}) | ${f(w.cpuMsPerStream)} | ${f(w.seconds)} |`,
    ),
  );
  for (const w of waves) for (const e of w.errorSamples) console.log(`  stream error: ${e}`);
  console.log(
    `baseline, the same wave straight to the fake (no Keel): ${direct.errors} errors, gap p50 / p99 / max ${f(direct.gapP50Ms)} / ${f(direct.gapP99Ms)} / ${f(direct.maxGapMs)} ms, ` +
      `${direct.gapsOver} gaps > ${STALL_MS} ms`,
  );
  console.log(
    `\nnon-streaming: offered ${rate.offered} req/s × ${settings.BENCH_RATE_SECONDS} s = ${rate.requests} requests; ${rate.errors} errors; ` +
      `achieved ${f(rate.achievedPerSecond)} req/s; latency from the scheduled time p50 ${f(rate.p50Ms)} ms, p99 ${f(rate.p99Ms)} ms, max ${f(rate.maxMs)} ms; server CPU ${f(cpuMsPerRequest)} ms per request`,
  );
  for (const e of rate.errorSamples) console.log(`  request error: ${e}`);
  console.log(`server: exit code ${exitCode}, ${serverErrorCount} error log lines${serverErrors.length ? ":" : ""}`);
  for (const line of serverErrors) console.log(`  ${line}`);

  console.log("\nreconciliation (SQL, under the tenant's scope, after the server stopped):");
  for (const r of reconciled) console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.name}: ${r.left.label} ${r.left.value} vs ${r.right.label} ${r.right.value}`);

  const first = waves[0]!;
  const lastAfter = Math.max(...waves.slice(1).map((w) => w.rssAfter), first.rssAfter);
  const growth = (lastAfter / first.rssAfter - 1) * 100;
  const criteria: Array<{ name: string; figure: string; target: string; met: boolean; value: number }> = [
    {
      name: "concurrent streams (fewest in flight at a wave's peak)",
      value: Math.min(...waves.map((w) => w.peakInFlight)),
      figure: `${Math.min(...waves.map((w) => w.peakInFlight))} (streaming at once: ${Math.min(...waves.map((w) => w.peakStreaming))})`,
      target: `≥ ${settings.BENCH_STREAMS}`,
      met: waves.every((w) => w.peakInFlight >= settings.BENCH_STREAMS),
    },
    {
      name: "streaming errors",
      value: waves.reduce((n, w) => n + w.errors, 0),
      figure: String(waves.reduce((n, w) => n + w.errors, 0)),
      target: "0",
      met: waves.every((w) => w.errors === 0),
    },
    {
      name: "largest gap between chunks",
      value: Math.max(...waves.map((w) => w.maxGapMs)),
      figure: `${f(Math.max(...waves.map((w) => w.maxGapMs)))} ms (${waves.reduce((n, w) => n + w.gapsOver, 0)} over ${STALL_MS} ms)`,
      target: `≤ ${STALL_MS} ms`,
      met: waves.every((w) => w.gapsOver === 0),
    },
    {
      name: "memory across waves (growth after the first)",
      value: growth,
      figure: `${f(growth)}% (${f(first.rssAfter / MiB, 0)} → ${f(lastAfter / MiB, 0)} MiB)`,
      target: `≤ ${settings.BENCH_MEMORY_GROWTH_PERCENT}%`,
      met: growth <= settings.BENCH_MEMORY_GROWTH_PERCENT,
    },
    {
      name: "non-streaming rate",
      value: rate.achievedPerSecond,
      figure: `${f(rate.achievedPerSecond)} req/s`,
      target: "≥ 100 req/s",
      met: rate.achievedPerSecond >= 100,
    },
    { name: "non-streaming p99", value: rate.p99Ms, figure: `${f(rate.p99Ms)} ms`, target: "< 1000 ms", met: rate.p99Ms < 1000 },
    { name: "non-streaming errors", value: rate.errors, figure: String(rate.errors), target: "0", met: rate.errors === 0 },
    {
      name: "usage reconciles exactly",
      value: reconciled.filter((r) => !r.ok).length,
      figure: `${reconciled.filter((r) => r.ok).length}/${reconciled.length} checks (${answered.calls} answers)`,
      target: "all",
      met: reconciled.every((r) => r.ok),
    },
  ];
  console.log("");
  for (const c of criteria) console.log(`${c.met ? "PASS" : "FAIL"}  ${c.name}: ${c.figure} (target ${c.target})`);
  failed = criteria.some((c) => !c.met);
  writeBenchSummary(
    "load",
    criteria.map((c) => ({ measure: c.name, figure: c.figure, target: c.target, met: c.met })),
    `${settings.BENCH_WAVES}×${settings.BENCH_STREAMS} streams, ${settings.BENCH_RATE} req/s × ${settings.BENCH_RATE_SECONDS} s`,
  );
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  await cleanUp();
}
process.exit(failed ? 1 : 0);
