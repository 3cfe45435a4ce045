// `npm run bench:gateway`: what Keel's /api/v1/chat/completions adds over calling the provider
// directly, beside what the Portkey gateway adds, against the same upstream with the same load tool.
//
// - Upstream: Keel's scripted OpenAI-compatible fake on loopback (test/fakes), one instance for all.
// - Keel: a production build (`npm run build`) served as `npm start` serves it (the compiled scripts/serve.ts, its
//   workers), quotas, rate limits, both caches and metering on; every call is a cache miss (each
//   question is unique). Fresh PostgreSQL database when BENCH_DATABASE_URL or TEST_DATABASE_URL is
//   set, else embedded PGlite.
// - Portkey: `@portkey-ai/gateway` as its package runs it (bench/portkey.ts), routed to the same
//   fake as a custom OpenAI host.
// - Load: bench/load.ts (keep-alive node:http, fixed concurrency) for all three sides. Each round
//   runs every scenario on each side in turn, the order rotating round by round, so drift on a
//   shared machine hurts every side alike. Figures are medians over rounds of per-round figures;
//   "added" is a side's figure minus the direct one of the same round.
//
// BENCH_ROUNDS, BENCH_SERIAL (requests per c=1 run), BENCH_LOADED (per c=50 run), BENCH_ONLY
// (scenario name filter), BENCH_SIDES (e.g. "direct,keel"), KEEL_WORKERS, BENCH_SKIP_BUILD=1,
// BENCH_SERVER_NODE_FLAGS / BENCH_PORTKEY_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=bench/profiles").
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { startFakeOpenAI } from "../test/fakes/fake-llm-server";
import { freshDatabase, residentBytes, serverEnv } from "./app-server";
import { median, percentile, post, run, type Sample } from "./load";
import { startPortkey, type PortkeyServer } from "./portkey";
import { writeBenchSummary } from "./summary";
import { buildProduction, productionServerArgs } from "../scripts/compiled-server";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SERIAL = Number(process.env.BENCH_SERIAL ?? 300);
const LOADED = Number(process.env.BENCH_LOADED ?? 2000);
const PORT = Number(process.env.BENCH_PORT ?? 3290);
const PORTKEY_PORT = Number(process.env.BENCH_PORTKEY_PORT ?? PORT + 1);
const MiB = 1024 * 1024;

const fake = await startFakeOpenAI();
fake.setDefault({ kind: "text", text: "The quick brown fox jumps over the lazy dog.", usage: { input: 12, output: 10 } });
// The fake records every request; the benchmark sends hundreds of thousands, so keep it from growing.
setInterval(() => fake.requests.splice(0), 1000).unref();

const env = serverEnv(PORT);
delete env.GOOGLE_GENERATIVE_AI_API_KEY;
delete env.OPENAI_COMPATIBLE_BASE_URL;
env.OPENAI_API_KEY = "bench";
env.OPENAI_BASE_URL = fake.url;
const dropDatabase = await freshDatabase(env, "keel_bench");

// A tenant with an API key and limits high enough never to refuse (but still enforced).
const { seedBenchWorkspace } = await import("./workspace");
const { createApiKey } = await import("../lib/auth/api-keys");
const { closeDatabase } = await import("../db/client");
const { ctx } = await seedBenchWorkspace("Bench");
const { key } = await createApiKey(ctx, "bench");
await closeDatabase();

type Side = "direct" | "portkey" | "keel";
const sides = (process.env.BENCH_SIDES ?? "direct,portkey,keel").split(",") as Side[];
let server: ChildProcess | undefined;
let portkey: PortkeyServer | undefined;
async function cleanUp() {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((resolve) => server!.once("exit", resolve));
  }
  await portkey?.stop();
  await fake.close();
  await dropDatabase();
}
process.on("SIGINT", () => void cleanUp().then(() => process.exit(130)));

/** Keel's worker processes (children of the primary), or the primary when it serves alone. */
function keelWorkers(): number[] {
  const pid = server!.pid!;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  return children.length > 0 ? children : [pid];
}
const sideProcesses = (side: Side): number[] => (side === "keel" ? keelWorkers() : side === "portkey" ? [portkey!.pid] : []);
/** The largest resident set among a side's serving processes, in bytes. */
const largestRss = (side: Side) => Math.max(0, ...sideProcesses(side).map(residentBytes));

try {
  if (process.env.BENCH_SKIP_BUILD !== "1") await buildProduction(env);
  const nodeFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  // The production server, as `npm start` runs it (scripts/next.ts execs exactly this).
  server = spawn(process.execPath, [...nodeFlags, ...productionServerArgs(), "-p", String(PORT), "-H", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  await new Promise<void>((resolve, reject) => {
    server!.stdout!.on("data", (d: Buffer) => (d.toString().includes("Ready on") ? resolve() : undefined));
    server!.on("exit", () => reject(new Error("the Keel server exited")));
  });
  portkey = await startPortkey(PORTKEY_PORT, (process.env.BENCH_PORTKEY_NODE_FLAGS ?? "").split(" ").filter(Boolean));
  // Idle memory: both servers started, nothing asked yet (the local executor polls, as it does in production).
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const idleRss = { keel: largestRss("keel"), portkey: largestRss("portkey"), keelWorkers: keelWorkers().length };

  const keelUrl = `http://127.0.0.1:${PORT}/api/v1/chat/completions`;
  const portkeyUrl = `${portkey.url}/v1/chat/completions`;
  const directUrl = `${fake.url}/chat/completions`;
  const headers: Record<Side, Record<string, string>> = {
    direct: { authorization: "Bearer bench" },
    portkey: { authorization: "Bearer bench", "x-portkey-provider": "openai", "x-portkey-custom-host": fake.url },
    keel: { authorization: `Bearer ${key}` },
  };
  const urls: Record<Side, string> = { direct: directUrl, portkey: portkeyUrl, keel: keelUrl };
  let nonce = 0;
  const call = (side: Side, stream: boolean) =>
    post(
      urls[side],
      JSON.stringify({
        model: side === "keel" ? "keel-chat" : "gpt-4.1",
        // A new question every call: every Keel call misses both caches.
        messages: [{ role: "user", content: `question ${process.pid}-${nonce++}` }],
        max_tokens: 64,
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      }),
      headers[side],
    );

  type Scenario = { name: string; stream: boolean; concurrency: number };
  const scenarios: Scenario[] = [
    { name: "non-streaming, c=1", stream: false, concurrency: 1 },
    { name: "non-streaming, c=50", stream: false, concurrency: 50 },
    { name: "streaming, c=1", stream: true, concurrency: 1 },
    { name: "streaming, c=50", stream: true, concurrency: 50 },
  ].filter((s) => !process.env.BENCH_ONLY || s.name.includes(process.env.BENCH_ONLY));

  // Warm-up: JIT, connection pools, the tenant profile, each side's upstream sockets.
  for (const side of sides) for (const stream of [false, true]) await run(300, 10, () => call(side, stream));

  type Figures = { p50: number[]; p99: number[]; ttft50: number[]; ttft99: number[]; rps: number[]; peakRss: number[]; added50: number[]; added99: number[] };
  const results = new Map<string, Figures>();
  const figures = (scenario: string, side: Side) => {
    const label = `${scenario}|${side}`;
    if (!results.has(label)) results.set(label, { p50: [], p99: [], ttft50: [], ttft99: [], rps: [], peakRss: [], added50: [], added99: [] });
    return results.get(label)!;
  };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of scenarios) {
      const count = scenario.concurrency === 1 ? SERIAL : LOADED;
      // Rotate which side goes first, round by round.
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      const thisRound = new Map<Side, { p50: number; p99: number }>();
      for (const side of order) {
        let peak = largestRss(side);
        const sampler = setInterval(() => (peak = Math.max(peak, largestRss(side))), 100);
        const { samples, wallMs } = await run(count, scenario.concurrency, () => call(side, scenario.stream)).finally(() => clearInterval(sampler));
        peak = Math.max(peak, largestRss(side));
        const bad = samples.filter((s: Sample) => s.status !== 200).length;
        if (bad > 0) throw new Error(`${side} ${scenario.name}: ${bad} of ${count} answers were not 200`);
        // Streaming is judged by its first token, a whole answer by its end.
        const latency = samples.map((s) => (scenario.stream ? s.firstTokenMs : s.totalMs));
        const ttft = samples.map((s) => s.firstTokenMs);
        const f = figures(scenario.name, side);
        const p50 = percentile(latency, 50);
        const p99 = percentile(latency, 99);
        f.p50.push(p50);
        f.p99.push(p99);
        f.ttft50.push(percentile(ttft, 50));
        f.ttft99.push(percentile(ttft, 99));
        f.rps.push((count / wallMs) * 1000);
        f.peakRss.push(peak);
        thisRound.set(side, { p50, p99 });
      }
      const direct = thisRound.get("direct");
      for (const [side, r] of thisRound) {
        if (!direct) continue;
        figures(scenario.name, side).added50.push(r.p50 - direct.p50);
        figures(scenario.name, side).added99.push(r.p99 - direct.p99);
      }
    }
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const afterRss = { keel: largestRss("keel"), portkey: largestRss("portkey") };

  const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "—" : n.toFixed(2));
  const load = (await import("node:os")).loadavg()[0]!.toFixed(1);
  console.log(
    `\nbench:gateway — ${ROUNDS} rounds (${SERIAL} calls per c=1 run, ${LOADED} per c=50 run), medians of per-round figures, ms; ` +
      `database: ${process.env.DATABASE_URL ? "PostgreSQL" : "embedded PGlite"}; Keel workers: ${idleRss.keelWorkers}; load average now ${load}`,
  );
  console.log("Streaming rows measure latency to the first token; non-streaming rows to the whole answer.\n");
  console.log("| scenario | side | p50 | added p50 | p99 | added p99 | TTFT p50 | req/s | peak RSS MiB |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const scenario of scenarios) {
    for (const side of sides) {
      const f = results.get(`${scenario.name}|${side}`);
      if (!f) continue;
      const added = side === "direct" ? ["", ""] : [ms(median(f.added50)), ms(median(f.added99))];
      console.log(
        `| ${scenario.name} | ${side} | ${ms(median(f.p50))} | ${added[0]} | ${ms(median(f.p99))} | ${added[1]} | ${ms(median(f.ttft50))} | ${median(f.rps).toFixed(0)} | ${side === "direct" ? "" : (Math.max(...f.peakRss) / MiB).toFixed(0)} |`,
      );
    }
  }
  console.log(
    `\nIdle RSS (started, nothing asked): Keel ${(idleRss.keel / MiB).toFixed(0)} MiB per worker (largest of ${idleRss.keelWorkers}), Portkey ${(idleRss.portkey / MiB).toFixed(0)} MiB; ` +
      `3 s after the runs: Keel ${(afterRss.keel / MiB).toFixed(0)}, Portkey ${(afterRss.portkey / MiB).toFixed(0)} MiB.`,
  );

  // The targets (issue 18.2), as ratios of figures from this same run.
  const m = (scenario: string, side: Side, key: keyof Figures) => median(results.get(`${scenario}|${side}`)?.[key] ?? []);
  const ratio = (keel: number, portkey: number) => (Number.isFinite(keel / portkey) ? (keel / portkey).toFixed(2) : "—");
  if (sides.includes("portkey") && sides.includes("keel")) {
    console.log("\n| target | Keel | Portkey | Keel / Portkey | met |");
    console.log("|---|---|---|---|---|");
    const row = (label: string, keel: number, portkeyFigure: number, lowerIsBetter: boolean, unit = " ms") => {
      const met = lowerIsBetter ? keel <= portkeyFigure : keel >= portkeyFigure;
      const fmt = (n: number) => (unit === " ms" ? `${ms(n)} ms` : `${n.toFixed(0)}${unit}`);
      console.log(`| ${label} | ${fmt(keel)} | ${fmt(portkeyFigure)} | ${ratio(keel, portkeyFigure)} | ${Number.isNaN(keel) ? "—" : met ? "yes" : "no"} |`);
    };
    row("added p50, non-streaming c=1 (≤)", m("non-streaming, c=1", "keel", "added50"), m("non-streaming, c=1", "portkey", "added50"), true);
    row("added p50 to first token, streaming c=1 (≤)", m("streaming, c=1", "keel", "added50"), m("streaming, c=1", "portkey", "added50"), true);
    row("req/s, non-streaming c=50 (≥)", m("non-streaming, c=50", "keel", "rps"), m("non-streaming, c=50", "portkey", "rps"), false, " req/s");
    row("req/s, streaming c=50 (≥)", m("streaming, c=50", "keel", "rps"), m("streaming, c=50", "portkey", "rps"), false, " req/s");
    row("TTFT p50, streaming c=50 (≤)", m("streaming, c=50", "keel", "ttft50"), m("streaming, c=50", "portkey", "ttft50"), true);
  }
  console.log(
    `| idle RSS per worker (≤ 150 MiB) | ${(idleRss.keel / MiB).toFixed(0)} MiB | ${(idleRss.portkey / MiB).toFixed(0)} MiB | | ${idleRss.keel <= 150 * MiB ? "yes" : "no"} |`,
  );
  const added = m("non-streaming, c=1", "keel", "added50");
  const rps = m("non-streaming, c=50", "keel", "rps");
  const withPortkey = sides.includes("portkey");
  writeBenchSummary(
    "gateway",
    [
      {
        measure: "added p50, non-streaming c=1",
        figure: `${ms(added)} ms`,
        target: withPortkey ? `≤ Portkey's ${ms(m("non-streaming, c=1", "portkey", "added50"))} ms` : "—",
        met: withPortkey && Number.isFinite(added) ? added <= m("non-streaming, c=1", "portkey", "added50") : null,
      },
      {
        measure: "req/s, non-streaming c=50",
        figure: rps.toFixed(0),
        target: withPortkey ? `≥ Portkey's ${m("non-streaming, c=50", "portkey", "rps").toFixed(0)}` : "—",
        met: withPortkey && Number.isFinite(rps) ? rps >= m("non-streaming, c=50", "portkey", "rps") : null,
      },
      { measure: "idle RSS per worker", figure: `${(idleRss.keel / MiB).toFixed(0)} MiB`, target: "≤ 150 MiB", met: idleRss.keel <= 150 * MiB },
    ],
    `${ROUNDS} round${ROUNDS === 1 ? "" : "s"}, ${SERIAL} calls at c=1 and ${LOADED} at c=50`,
  );
} finally {
  await cleanUp();
}
process.exit(0);
