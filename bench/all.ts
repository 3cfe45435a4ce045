// `npm run bench`: every benchmark in turn, each a child process with its own settings, then one
// table of their headline figures and the machine they ran on.
//
// Quick settings by default (minutes, not hours), unless the environment sets them; BENCH_FULL=1
// runs each at the settings bench/README.md documents. BENCH_BENCHMARKS=gateway,load picks some. The production build is made once
// (skipped with BENCH_SKIP_BUILD=1) and shared by every benchmark that starts a server. Each one
// writes its headline figures to the JSON file BENCH_SUMMARY_FILE names (bench/summary.ts).
// BENCH_DATABASE_URL or TEST_DATABASE_URL names the PostgreSQL server (default the local one);
// BENCH_PORT, when set, is passed to every benchmark.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { buildProduction } from "../scripts/compiled-server";
import { assertLocalDatabaseUrl } from "../scripts/test-database";
import { benchSummarySchema, type BenchFigure } from "./summary";

interface Benchmark {
  name: string;
  script: string;
  /** Settings of the quick run (the default); the full run uses the script's own defaults plus `full`. */
  quick: Record<string, string>;
  full?: Record<string, string>;
}

const benchmarks: Benchmark[] = [
  { name: "gateway", script: "bench/gateway.ts", quick: { BENCH_ROUNDS: "1", BENCH_SERIAL: "100", BENCH_LOADED: "500" } },
  { name: "chat", script: "bench/chat.ts", quick: { BENCH_ROUNDS: "1", BENCH_SERIAL: "5", BENCH_LOADED: "50" } },
  // The million-chunk run takes hours here: even the full run stays at the script's 200,000 chunks (bench/README.md).
  {
    name: "retrieval",
    script: "bench/retrieval.ts",
    quick: { BENCH_CHUNKS: "20000", BENCH_QUERIES: "20", BENCH_ROUNDS: "1", BENCH_MODES: "vector" },
  },
  { name: "ingest", script: "bench/ingest.ts", quick: { BENCH_PDF_PAGES: "40", BENCH_DOCX_MB: "1" } },
  { name: "admin", script: "bench/admin.ts", quick: { BENCH_EVENTS: "100000", BENCH_ROUNDS: "3" } },
  { name: "answers", script: "bench/answers.ts", quick: {} },
  { name: "load", script: "bench/load-api.ts", quick: { BENCH_RATE_SECONDS: "10" } },
];

const full = process.env.BENCH_FULL === "1";
const only = process.env.BENCH_BENCHMARKS?.split(",").map((s) => s.trim());
const chosen = benchmarks.filter((b) => !only || only.includes(b.name));
const adminUrl = (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres").trim();
assertLocalDatabaseUrl(adminUrl);

/** CPU model × cores, RAM, Node, PostgreSQL and pgvector, as every figure depends on them. */
async function machineLine(): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [server] = await sql<Array<{ version: string; shared_buffers: string; vector: string | null }>>`
      select current_setting('server_version') as version, current_setting('shared_buffers') as shared_buffers,
             (select default_version from pg_available_extensions where name = 'vector') as vector`;
    const cpus = os.cpus();
    return (
      `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ` +
      `PostgreSQL ${server!.version} (shared_buffers ${server!.shared_buffers}), pgvector ${server!.vector ?? "not installed"}`
    );
  } finally {
    await sql.end();
  }
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

function runBenchmark(bench: Benchmark, summaryFile: string): Promise<number> {
  // A setting already in the environment wins over the quick one (BENCH_ROUNDS=3 npm run bench).
  const env: NodeJS.ProcessEnv = {
    ...(full ? (bench.full ?? {}) : bench.quick),
    ...process.env,
    BENCH_SKIP_BUILD: "1",
    BENCH_SUMMARY_FILE: summaryFile,
    BENCH_DATABASE_URL: adminUrl,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", bench.script], { stdio: "inherit", env });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const machine = await machineLine();
const loadBefore = loadAverage();
const started = Date.now();
if (process.env.BENCH_SKIP_BUILD !== "1") await buildProduction(process.env);

const directory = mkdtempSync(path.join(os.tmpdir(), "keel-bench-"));
const rows: Array<{ bench: string; settings: string; figure: BenchFigure; exit: number; minutes: number }> = [];
for (const bench of chosen) {
  const summaryFile = path.join(directory, `${bench.name}.json`);
  process.stderr.write(`\n== bench ${bench.name} (${full ? "full" : "quick"} settings)\n`);
  const benchStarted = Date.now();
  const exit = await runBenchmark(bench, summaryFile);
  const minutes = (Date.now() - benchStarted) / 60_000;
  const summary = existsSync(summaryFile) ? benchSummarySchema.safeParse(JSON.parse(readFileSync(summaryFile, "utf8"))) : null;
  if (!summary?.success) {
    rows.push({ bench: bench.name, settings: "—", figure: { measure: "no figures (it failed)", figure: "—", target: "—", met: false }, exit, minutes });
    continue;
  }
  for (const figure of summary.data.figures) rows.push({ bench: bench.name, settings: summary.data.settings, figure, exit, minutes });
}
rmSync(directory, { recursive: true, force: true });

const met = (m: boolean | null) => (m === null ? "—" : m ? "yes" : "no");
console.log(`\nnpm run bench — ${full ? "full" : "quick"} settings, ${((Date.now() - started) / 60_000).toFixed(0)} min in all`);
console.log(`machine: ${machine}; load average (1/5/15 min) ${loadBefore} before, ${loadAverage()} after\n`);
console.log("| benchmark | settings | headline measure | figure | target | met? |");
console.log("| --- | --- | --- | --- | --- | --- |");
let previous = "";
for (const row of rows) {
  const first = row.bench !== previous;
  previous = row.bench;
  const name = first ? `${row.bench}${row.exit === 0 ? "" : ` (exit ${row.exit})`}, ${row.minutes.toFixed(1)} min` : "";
  console.log(`| ${name} | ${first ? row.settings : ""} | ${row.figure.measure} | ${row.figure.figure} | ${row.figure.target} | ${met(row.figure.met)} |`);
}
if (chosen.some((b) => b.name === "retrieval")) {
  console.log("\nretrieval runs at 200,000 chunks at most here (20,000 in the quick run); the 1,000,000-chunk run is its own command (bench/README.md).");
}
process.exit(rows.some((r) => r.exit !== 0) ? 1 : 0);
