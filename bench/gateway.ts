// `npm run bench:gateway`: what /api/v1/chat/completions adds over calling the provider directly.
// A production build (`next build`, served as `npm start` does) with quotas, metering and caches
// on, talking to Keel's scripted OpenAI-compatible fake on loopback; the load generator calls the
// fake directly and through Keel in alternating rounds, and prints medians over the rounds. Uses a fresh local
// PostgreSQL database when BENCH_DATABASE_URL or TEST_DATABASE_URL is set, else embedded PGlite.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { startFakeOpenAI } from "../test/fakes/fake-llm-server";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";
import { median, percentile, post, run, type Sample } from "./load";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SERIAL = Number(process.env.BENCH_SERIAL ?? 200); // requests per scenario per round at concurrency 1
const LOADED = Number(process.env.BENCH_LOADED ?? 2000); // requests per scenario per round at concurrency 50
const PORT = Number(process.env.BENCH_PORT ?? 3290);

const adminUrl = (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL)?.trim();
const fake = await startFakeOpenAI();
fake.setDefault({ kind: "text", text: "The quick brown fox jumps over the lazy dog.", usage: { input: 12, output: 10 } });
// The fake records every request; the benchmark sends hundreds of thousands, so keep it from growing.
setInterval(() => fake.requests.splice(0), 1000).unref();

const env: NodeJS.ProcessEnv = {
  ...process.env,
  AUTH_SECRET: randomBytes(32).toString("base64url"),
  // The production server refuses to start without its public origin.
  AUTH_URL: `http://127.0.0.1:${PORT}`,
  AUTH_TRUST_HOST: "true",
  NEXT_TELEMETRY_DISABLED: "1",
  NODE_ENV: "production",
};
delete env.DATABASE_URL;
delete env.GOOGLE_GENERATIVE_AI_API_KEY;
delete env.OPENAI_COMPATIBLE_BASE_URL;
env.OPENAI_API_KEY = "bench";
env.OPENAI_BASE_URL = fake.url;
let databaseUrl: string | undefined;
let dataDir: string | undefined;
if (adminUrl) {
  databaseUrl = await createTestDatabase(adminUrl, "keel_bench");
  process.env.DATABASE_URL = env.DATABASE_URL = databaseUrl;
} else {
  dataDir = `.data/bench-${process.pid}`;
  process.env.KEEL_DATA_DIR = env.KEEL_DATA_DIR = dataDir;
  delete process.env.DATABASE_URL;
}

// Seed a tenant with an API key and limits high enough never to refuse (but still enforced).
const { seedBenchWorkspace } = await import("./workspace");
const { createApiKey } = await import("../lib/auth/api-keys");
const { closeDatabase } = await import("../db/client");
const { ctx } = await seedBenchWorkspace("Bench");
const { key } = await createApiKey(ctx, "bench");
await closeDatabase();

const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
let server: ChildProcess | undefined;
async function cleanUp() {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((resolve) => server!.once("exit", resolve));
  }
  await fake.close();
  if (databaseUrl && adminUrl) await dropTestDatabase(adminUrl, databaseUrl).catch(() => {});
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (dataDir) rmSync(`${dataDir}.lock`, { force: true });
}
process.on("SIGINT", () => void cleanUp().then(() => process.exit(130)));

try {
  if (process.env.BENCH_SKIP_BUILD !== "1") {
    const built = await new Promise<number>((resolve) =>
      spawn(process.execPath, [nextBin, "build"], { stdio: ["ignore", "ignore", "inherit"], env }).on("exit", (c) => resolve(c ?? 1)),
    );
    if (built !== 0) throw new Error("next build failed");
  }
  // BENCH_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const nodeFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  // The production server (`npm start`): scripts/serve.ts, KEEL_WORKERS processes on one port.
  // BENCH_SERVER=next compares with plain `next start` (one process).
  const serverArgs = process.env.BENCH_SERVER === "next" ? [nextBin, "start"] : ["--import", "tsx", "scripts/serve.ts"];
  server = spawn(process.execPath, [...nodeFlags, ...serverArgs, "-p", String(PORT), "-H", "127.0.0.1"], { stdio: ["ignore", "pipe", "inherit"], env });
  await new Promise<void>((resolve, reject) => {
    server!.stdout!.on("data", (d: Buffer) => (d.toString().includes("Ready") ? resolve() : undefined));
    server!.on("exit", () => reject(new Error("next start exited")));
  });

  const gatewayUrl = `http://127.0.0.1:${PORT}/api/v1/chat/completions`;
  const directUrl = `${fake.url}/chat/completions`;
  const auth = { authorization: `Bearer ${key}` };
  const body = (content: string, stream = false) =>
    JSON.stringify({
      model: stream ? "gpt-4.1" : "gpt-4.1",
      messages: [{ role: "user", content }],
      max_tokens: 64,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  const keelBody = (content: string, stream = false) => JSON.stringify({ ...JSON.parse(body(content, stream)), model: "keel-chat" });
  let nonce = 0;
  const unique = () => `question ${process.pid}-${nonce++}`;

  type Scenario = { name: string; direct: (i: number) => Promise<Sample>; keel: (i: number) => Promise<Sample>; metric: "totalMs" | "firstTokenMs" };
  const scenarios: Scenario[] = [
    {
      name: "non-streaming, cache miss",
      metric: "totalMs",
      direct: () => post(directUrl, body(unique())),
      keel: () => post(gatewayUrl, keelBody(unique()), auth),
    },
    {
      name: "non-streaming, exact hit",
      metric: "totalMs",
      direct: () => post(directUrl, body("the cached question")),
      keel: () => post(gatewayUrl, keelBody("the cached question"), auth),
    },
    {
      name: "streaming TTFT, cache miss",
      metric: "firstTokenMs",
      direct: () => post(directUrl, body(unique(), true)),
      keel: () => post(gatewayUrl, keelBody(unique(), true), auth),
    },
  ];

  // BENCH_ONLY="cache miss" narrows the run to matching scenarios (for profiling).
  const only = process.env.BENCH_ONLY;
  if (only) scenarios.splice(0, scenarios.length, ...scenarios.filter((s) => s.name.includes(only)));

  // Warm-up: JIT, connection pools, the cached answer, the tenant profile.
  await run(300, 10, () => post(gatewayUrl, keelBody("the cached question"), auth));
  await run(300, 10, () => post(gatewayUrl, keelBody(unique()), auth));
  await run(300, 10, () => post(directUrl, body(unique())));

  const results = new Map<string, { directP50: number[]; keelP50: number[]; directP95: number[]; keelP95: number[]; directRps: number[]; keelRps: number[] }>();
  const bucket = (label: string) => {
    if (!results.has(label)) results.set(label, { directP50: [], keelP50: [], directP95: [], keelP95: [], directRps: [], keelRps: [] });
    return results.get(label)!;
  };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of scenarios) {
      for (const concurrency of (process.env.BENCH_CONCURRENCY ?? "1,50").split(",").map(Number)) {
        const count = concurrency === 1 ? SERIAL : LOADED;
        const entry = bucket(`${scenario.name} @ c${concurrency}`);
        // Alternate which side goes first each round, so drift hurts both equally.
        const order = round % 2 === 0 ? (["keel", "direct"] as const) : (["direct", "keel"] as const);
        for (const side of order) {
          const { samples, wallMs } = await run(count, concurrency, side === "direct" ? scenario.direct : scenario.keel);
          const bad = samples.filter((s) => s.status !== 200).length;
          if (bad > 0) throw new Error(`${side} ${scenario.name}: ${bad} non-200 responses`);
          const values = samples.map((s) => s[scenario.metric]);
          const target =
            side === "direct"
              ? { p50: entry.directP50, p95: entry.directP95, rps: entry.directRps }
              : { p50: entry.keelP50, p95: entry.keelP95, rps: entry.keelRps };
          target.p50.push(percentile(values, 50));
          target.p95.push(percentile(values, 95));
          target.rps.push((count / wallMs) * 1000);
        }
      }
    }
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }

  const f = (n: number) => n.toFixed(2).padStart(8);
  console.log(`\nKeel gateway benchmark — ${ROUNDS} rounds, medians of per-round figures (ms); database: ${adminUrl ? "PostgreSQL" : "embedded PGlite"}`);
  console.log(
    `${"scenario".padEnd(36)} ${"direct p50".padStart(10)} ${"keel p50".padStart(9)} ${"added".padStart(8)} ${"ratio".padStart(6)} ${"direct p95".padStart(10)} ${"keel p95".padStart(9)} ${"keel req/s".padStart(10)} ${"direct req/s".padStart(12)}`,
  );
  for (const [label, r] of results) {
    const d = median(r.directP50);
    const k = median(r.keelP50);
    console.log(
      `${label.padEnd(36)} ${f(d).padStart(10)} ${f(k).padStart(9)} ${f(k - d)} ${(k / d).toFixed(2).padStart(6)} ${f(median(r.directP95)).padStart(10)} ${f(median(r.keelP95)).padStart(9)} ${median(r.keelRps).toFixed(0).padStart(10)} ${median(r.directRps).toFixed(0).padStart(12)}`,
    );
  }
  console.log("\nTargets: added p50 ≤ 1.3 ms at c1 on a miss; added TTFT ≤ 5 ms; ≥ 800 req/s at c50 (Portkey: 1.3 ms, 29 ms, 807 req/s).");
} finally {
  await cleanUp();
}
process.exit(0);
