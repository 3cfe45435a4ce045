// `npx tsx bench/rate-limits.ts`: what the API rate limits cost a call, measured in-process against
// the database they run on, next to an anchor measured in the same rounds: one bare `select 1`
// round trip. At concurrency 1 the limiter's admission (four counters, one statement) should cost
// about one round trip; at concurrency 50 it shows how a worker's calls share statements.
// PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set (a fresh database), else PGlite.
import { sql } from "drizzle-orm";
import { rmSync } from "node:fs";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";
import { median, percentile } from "./load";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SERIAL = Number(process.env.BENCH_SERIAL ?? 500);
const LOADED = Number(process.env.BENCH_LOADED ?? 5000);

const adminUrl = (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL)?.trim();
let databaseUrl: string | undefined;
const dataDir = `.data/bench-rate-limits-${process.pid}`;
if (adminUrl) process.env.DATABASE_URL = databaseUrl = await createTestDatabase(adminUrl, "keel_bench_rl");
else {
  delete process.env.DATABASE_URL;
  process.env.KEEL_DATA_DIR = dataDir;
}

const { getDb, closeDatabase } = await import("../db/client");
const { rawRows } = await import("../db/raw-rows");
const { seedBenchWorkspace } = await import("./workspace");
const { createApiKey, authenticateApiKey } = await import("../lib/auth/api-keys");
const { ApiRateLimiter } = await import("../lib/ai/rate-limits/api-rate-limiter");

try {
  const { ctx } = await seedBenchWorkspace("Rate limits");
  const principal = (await authenticateApiKey((await createApiKey(ctx, "bench")).key))!;
  const limiter = new ApiRateLimiter();
  const limits = { keyRequestsPerMinute: 1e9, keyTokensPerMinute: 1e9, workspaceRequestsPerMinute: 1e9, workspaceTokensPerMinute: 1e9 };
  const db = await getDb();
  const roundTrip = async () => void (await rawRows(db, sql`select 1`));
  const admitted = async () => (await limiter.admit({ ...principal, limits, tokens: 1_000 })).settle(40);

  async function timed(count: number, concurrency: number, work: () => Promise<void>) {
    const samples: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) {
          const t = performance.now();
          await work();
          samples.push(performance.now() - t);
        }
      }),
    );
    return { p50: percentile(samples, 50), p95: percentile(samples, 95), perSecond: (count / (performance.now() - started)) * 1000 };
  }

  await timed(300, 10, admitted);
  await timed(300, 10, roundTrip);
  const figures = new Map<string, { p50: number[]; p95: number[]; perSecond: number[] }>();
  const keep = (label: string, r: { p50: number; p95: number; perSecond: number }) => {
    const entry = figures.get(label) ?? { p50: [], p95: [], perSecond: [] };
    entry.p50.push(r.p50);
    entry.p95.push(r.p95);
    entry.perSecond.push(r.perSecond);
    figures.set(label, entry);
  };
  let statementsPerCall = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const concurrency of [1, 50]) {
      const count = concurrency === 1 ? SERIAL : LOADED;
      // Alternate which goes first, so drift hurts both alike.
      const order = round % 2 === 0 ? (["anchor", "limits"] as const) : (["limits", "anchor"] as const);
      for (const side of order) {
        const before = limiter.client.statements;
        const result = await timed(count, concurrency, side === "anchor" ? roundTrip : admitted);
        keep(`${side === "anchor" ? "select 1 (anchor)" : "rate-limit admission"} @ c${concurrency}`, result);
        if (side === "limits" && concurrency === 50) statementsPerCall = (limiter.client.statements - before) / count;
      }
    }
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }
  console.log(`\nRate-limit admission vs one database round trip — ${ROUNDS} rounds, medians (ms); ${adminUrl ? "PostgreSQL" : "embedded PGlite"}`);
  console.log(`${"".padEnd(32)} ${"p50".padStart(8)} ${"p95".padStart(8)} ${"per s".padStart(8)}`);
  for (const [label, f] of figures) {
    console.log(
      `${label.padEnd(32)} ${median(f.p50).toFixed(3).padStart(8)} ${median(f.p95).toFixed(3).padStart(8)} ${median(f.perSecond).toFixed(0).padStart(8)}`,
    );
  }
  console.log(`statements per call at c50 (last round): ${statementsPerCall.toFixed(3)}`);
} finally {
  await closeDatabase();
  if (databaseUrl && adminUrl) await dropTestDatabase(adminUrl, databaseUrl).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}.lock`, { force: true });
}
process.exit(0);
