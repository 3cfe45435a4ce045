// `npm run bench:retrieval`: retrieval over 200,000 chunks in 100 tenants (one holds half, most
// under 1%) on PostgreSQL. Makes a database of its own (BENCH_DATABASE_URL or TEST_DATABASE_URL
// names the server; default the local one), generates clustered vectors on the server, rebuilds the
// indexes (timed), then asks questions of a large, medium and small tenants:
//   search      what retrieve() runs once the query is embedded: withTenant (row-level security)
//               and searchChunks, the same function, with the query's vector;
//   retrieve()  the whole call: the query embedded through the gateway (routing, quota, metering)
//               by the scripted OpenAI-compatible fake on loopback, which answers each benchmark
//               question with its precomputed vector.
// Recall@10 is against exact search (every chunk in the same scope sorted by distance, as the
// owner), over the first BENCH_RECALL_SAMPLE questions of each class. Anchors in the same run: an
// unfiltered HNSW query and an exact one over a small tenant, both as the owner without row-level
// security. Medians of BENCH_ROUNDS rounds after a warm-up round.
//
// BENCH_KEEP_DATABASE=1 keeps the database (named after its size) and reuses it on the next run with
// the same size, so a million chunks are generated and indexed once; BENCH_MODES=vector skips hybrid.
import os from "node:os";
import postgres from "postgres";
import { assertLocalDatabaseUrl, createTestDatabase, dropTestDatabase } from "../scripts/test-database";
import { fakeEmbedding, startFakeOpenAI } from "../test/fakes/fake-llm-server";
import { median, percentile } from "./load";
import { loadCorpus, makeQueries, random, seededSignature, seedRetrieval, seedSignature, type Query, type SeededTenant } from "./retrieval-seed";
import { writeBenchSummary, type BenchFigure } from "./summary";

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 200_000);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 100);
const TOPICS = Number(process.env.BENCH_TOPICS ?? 400);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100);
const RECALL_SAMPLE = Math.min(QUERIES, Number(process.env.BENCH_RECALL_SAMPLE ?? QUERIES));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MODES = (process.env.BENCH_MODES ?? "vector,hybrid").split(",").map((m) => m.trim()) as ("vector" | "hybrid")[];
const KEEP = process.env.BENCH_KEEP_DATABASE === "1";
const CLIENTS = 8;
const K = 10;
const TARGET = { recall: 0.95, p95Ms: 25 };

const adminUrl = (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres").trim();

/** A kept database has a name of its size; a throwaway one a random name. */
async function benchDatabase(): Promise<{ url: string; existed: boolean }> {
  if (!KEEP) return { url: await createTestDatabase(adminUrl, "keel_bench_retrieval"), existed: false };
  const url = assertLocalDatabaseUrl(adminUrl);
  const name = `keel_bench_retrieval_${CHUNKS}_${TENANTS}_${TOPICS}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin<{ exists: boolean }[]>`select exists (select 1 from pg_database where datname = ${name}) as exists`;
    if (!row!.exists) await admin.unsafe(`create database "${name}"`);
    url.pathname = `/${name}`;
    return { url: url.toString(), existed: row!.exists };
  } finally {
    await admin.end();
  }
}
const { url: databaseUrl, existed } = await benchDatabase();
const queryVectors = new Map<string, number[]>();
const fake = await startFakeOpenAI({ embed: (text, dimensions) => queryVectors.get(text) ?? fakeEmbedding(text, dimensions) });
Object.assign(process.env, {
  DATABASE_URL: databaseUrl,
  DATABASE_POOL_SIZE: String(CLIENTS + 4),
  OPENAI_API_KEY: "bench-retrieval",
  OPENAI_BASE_URL: fake.url,
});
const owner = postgres(databaseUrl, { max: 1, onnotice: () => {} });
const watcher = postgres(databaseUrl, { max: 1, onnotice: () => {} });
const loadBefore = os.loadavg();

try {
  const { getDatabase, closeDatabase } = await import("../db/client");
  const { withTenant } = await import("../db/scope");
  const { retrieve, retrievalConfigFromEnv } = await import("../lib/rag");
  const { searchChunks } = await import("../lib/rag/search-chunks");
  const { EMBEDDING_DIMENSIONS } = await import("../db/schema/ai");
  const { getGateway } = await import("../lib/ai");
  await getDatabase();
  const config = retrievalConfigFromEnv();

  // The model the gateway embeds queries with is the one the chunks must carry: ask it once.
  const [probe] = await owner<{ id: string }[]>`insert into tenants (name, slug, plan) values ('probe', 'bench-probe', 'enterprise') returning id`;
  await owner`insert into collections (tenant_id, name, is_default) values (${probe!.id}, 'General', true)`;
  const { embeddingModel } = await retrieve({ tenantId: probe!.id }, "which model embeds queries", { mode: "vector" });
  await getGateway().flush(); // its usage event first, or the meter writes it for a deleted tenant
  await owner`delete from tenants where id = ${probe!.id}`;

  const seedOptions = {
    chunks: CHUNKS,
    tenants: TENANTS,
    topics: TOPICS,
    dimensions: EMBEDDING_DIMENSIONS,
    embeddingModel,
    hnswWith: process.env.BENCH_HNSW_WITH,
  };
  let times: Awaited<ReturnType<typeof seedRetrieval>> | null = null;
  const reused = existed && (await seededSignature(owner)) === seedSignature(seedOptions);
  if (!reused) {
    // Kept from an interrupted run or with other settings: not reusable, and not ours to drop.
    if (existed) throw new Error(`${databaseUrl} is from an unfinished or different run: drop it (dropdb) and run again`);
    times = await seedRetrieval(owner, watcher, random(20_261_130), seedOptions);
  }
  const corpus = await loadCorpus(owner);

  const share = (t: SeededTenant) => t.chunks / CHUNKS;
  const classes: { name: string; tenants: SeededTenant[] }[] = [
    { name: "large (50%)", tenants: corpus.tenants.filter((t) => share(t) >= 0.25) },
    { name: "medium (1-25%)", tenants: corpus.tenants.filter((t) => share(t) >= 0.01 && share(t) < 0.25) },
    { name: "small (<1%)", tenants: corpus.tenants.filter((t) => share(t) < 0.01) },
  ];
  // Questions from their own generator: the same ones whether the database was seeded now or kept.
  const rng = random(20_261_207);
  const taken = new Set<string>();
  const queries = new Map<string, Query[]>();
  for (const c of classes) {
    queries.set(
      c.name,
      await makeQueries(
        owner,
        rng,
        corpus,
        Array.from({ length: QUERIES }, (_, i) => c.tenants[i % c.tenants.length]!),
        taken,
      ),
    );
  }
  for (const list of queries.values()) for (const q of list) queryVectors.set(q.text, Array.from(q.vector));

  const literal = (q: Query) => `[${Array.from(q.vector).join(",")}]`;
  // Exact: every chunk in the scope with its distance, sorted (materialised, so no vector index can
  // serve the order): perfect recall by construction.
  const exact = (q: Query) =>
    owner<{ id: string }[]>`with scoped as materialized (
                               select id, embedding <=> ${literal(q)}::vector as distance from document_chunks
                               where tenant_id = ${q.tenant.id} and active and embedding_model = ${embeddingModel})
                             select id from scoped order by distance limit ${K}`;
  const truth = new Map<Query, Set<string>>();
  const truthStarted = performance.now();
  for (const list of queries.values()) for (const q of list.slice(0, RECALL_SAMPLE)) truth.set(q, new Set((await exact(q)).map((r) => r.id)));
  const truthSeconds = (performance.now() - truthStarted) / 1000;

  type Mode = "vector" | "hybrid";
  const search = (q: Query, mode: Mode) =>
    withTenant(q.tenant.id, (tx) =>
      searchChunks(tx, { tenantId: q.tenant.id, collectionIds: null, embeddingModel, vector: Array.from(q.vector), text: q.text, k: K, mode }, config),
    );
  const whole = (q: Query, mode: Mode) => retrieve({ tenantId: q.tenant.id }, q.text, { k: K, mode });
  const unfiltered = (q: Query) =>
    owner.begin(async (tx) => {
      await tx.unsafe(`set local hnsw.ef_search = ${config.efSearch}`);
      return tx`select id from document_chunks order by embedding <=> ${literal(q)}::vector limit ${K}`;
    });

  interface Observation {
    ms: number;
    ids: string[];
    strategy?: string;
  }
  async function timed(list: Query[], clients: number, run: (q: Query) => Promise<Observation>): Promise<Observation[]> {
    const out: Observation[] = new Array<Observation>(list.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < list.length) {
          const i = next++;
          const started = performance.now();
          const observed = await run(list[i]!);
          out[i] = { ...observed, ms: performance.now() - started };
        }
      }),
    );
    return out;
  }
  const viaSearch = (mode: Mode) => async (q: Query) => {
    const outcome = await search(q, mode);
    return { ms: 0, ids: outcome.hits.map((h) => h.chunkId), strategy: outcome.strategy };
  };
  const viaRetrieve = (mode: Mode) => async (q: Query) => {
    const outcome = await whole(q, mode);
    return { ms: 0, ids: outcome.hits.map((h) => h.chunkId), strategy: outcome.strategy };
  };

  // key → per-round [p50, p95]; the last round's observations for recall, k rows and strategies.
  const rounds = new Map<string, { p50: number[]; p95: number[]; last: Observation[] }>();
  const record = (key: string, observed: Observation[]) => {
    const entry = rounds.get(key) ?? { p50: [], p95: [], last: [] };
    const ms = observed.map((o) => o.ms);
    entry.p50.push(median(ms));
    entry.p95.push(percentile(ms, 95));
    entry.last = observed;
    rounds.set(key, entry);
  };
  const smallest = classes[2]!.tenants.at(-1)!;
  const anchorQueries = queries.get(classes[0]!.name)!;
  const smallQueries = queries.get(classes[2]!.name)!.map((q) => ({ ...q, tenant: smallest }));

  for (let round = 0; round <= ROUNDS; round++) {
    const keep = round > 0 ? record : () => {};
    keep("anchor|hnsw", await timed(anchorQueries, 1, async (q) => ({ ms: 0, ids: (await unfiltered(q)).map((r) => String(r.id)) })));
    keep("anchor|exact", await timed(smallQueries, 1, async (q) => ({ ms: 0, ids: (await exact(q)).map((r) => r.id) })));
    for (const mode of MODES) {
      for (const c of classes) {
        const list = queries.get(c.name)!;
        keep(`${mode}|${c.name}|search|1`, await timed(list, 1, viaSearch(mode)));
        keep(`${mode}|${c.name}|search|${CLIENTS}`, await timed(list, CLIENTS, viaSearch(mode)));
        keep(`${mode}|${c.name}|retrieve|1`, await timed(list, 1, viaRetrieve(mode)));
      }
    }
    if (round > 0) process.stdout.write(`round ${round}/${ROUNDS} done\n`);
  }
  const loadAfter = os.loadavg();

  const [server] = await owner<{ version: string; vector: string; buffers: string }[]>`
    select current_setting('server_version') as version, (select extversion from pg_extension where extname = 'vector') as vector,
           current_setting('shared_buffers') as buffers`;
  const [hnsw] = await owner<{ definition: string; size: string }[]>`
    select indexdef as definition, pg_size_pretty(pg_relation_size(indexname::regclass)) as size from pg_indexes where indexname = 'document_chunks_embedding_idx'`;
  const f = (ms: number) => ms.toFixed(1).padStart(6);
  const mid = (key: string) => {
    const entry = rounds.get(key)!;
    return { p50: median(entry.p50), p95: median(entry.p95), last: entry.last };
  };
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");

  console.log(
    `\nKeel retrieval benchmark: ${CHUNKS.toLocaleString("en")} chunks of ${EMBEDDING_DIMENSIONS} dimensions, ${TENANTS} tenants, ${TOPICS} topics; ` +
      `${QUERIES} questions per class, k = ${K}; medians of ${ROUNDS} rounds' p50 and p95 after a warm-up round, milliseconds.`,
  );
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; ` +
      `PostgreSQL ${server!.version}, pgvector ${server!.vector}, shared_buffers ${server!.buffers}; load average (1/5/15 min) ${load(loadBefore)} before, ${load(loadAfter)} after`,
  );
  console.log(
    times
      ? `load: generated on the server in ${times.loadSeconds.toFixed(1)} s; index builds (maintenance_work_mem ${times.maintenanceWorkMem}): ${times.indexSeconds.map((i) => `${i.name} ${i.seconds.toFixed(1)} s`).join(", ")}`
      : `load: reused the kept database ${new URL(databaseUrl).pathname.slice(1)} (seeded and indexed by an earlier run)`,
  );
  console.log(
    `HNSW: ${hnsw!.definition.replace(/^.*USING /, "")}, ${hnsw!.size}; exact ground truth for ${truth.size} questions (the first ${RECALL_SAMPLE} of each class) took ${truthSeconds.toFixed(1)} s`,
  );
  console.log(
    `settings: KEEL_RETRIEVAL_EF_SEARCH=${config.efSearch} KEEL_RETRIEVAL_MAX_SCAN_TUPLES=${config.maxScanTuples} KEEL_RETRIEVAL_EXACT_MAX_CHUNKS=${config.exactMaxChunks}; embedding model ${embeddingModel}\n`,
  );

  const anchorHnsw = mid("anchor|hnsw");
  const anchorExact = mid("anchor|exact");
  console.log(`anchors (owner, no row-level security, 1 client):`);
  console.log(`  unfiltered HNSW over all ${CHUNKS.toLocaleString("en")} chunks   p50 ${f(anchorHnsw.p50)}  p95 ${f(anchorHnsw.p95)}`);
  console.log(`  exact scan of the smallest tenant (${smallest.chunks} chunks)   p50 ${f(anchorExact.p50)}  p95 ${f(anchorExact.p95)}\n`);

  const header = `${"mode / class".padEnd(24)} ${"tenants".padStart(7)} ${"chunks".padStart(15)} ${"p50 1c".padStart(6)} ${"p95 1c".padStart(6)} ${"p50 8c".padStart(6)} ${"p95 8c".padStart(6)} ${"whole p50".padStart(9)} ${"whole p95".padStart(9)} ${"recall@10".padStart(9)} ${"min (<0.9)".padStart(10)} ${"k rows".padStart(6)} ${"p95/HNSW".padStart(8)}  strategies`;
  console.log(header);
  const verdicts: string[] = [];
  const headline: BenchFigure[] = [];
  for (const mode of MODES) {
    for (const c of classes) {
      const one = mid(`${mode}|${c.name}|search|1`);
      const eight = mid(`${mode}|${c.name}|search|${CLIENTS}`);
      const wholeCall = mid(`${mode}|${c.name}|retrieve|1`);
      const list = queries.get(c.name)!;
      const recalls = one.last.slice(0, RECALL_SAMPLE).map((o, i) => o.ids.filter((id) => truth.get(list[i]!)!.has(id)).length / K);
      const recall = recalls.reduce((a, b) => a + b, 0) / recalls.length;
      const full = [...one.last, ...eight.last, ...wholeCall.last].filter((o) => o.ids.length === K).length / (3 * list.length);
      const strategies = new Map<string, number>();
      for (const o of one.last) strategies.set(o.strategy!, (strategies.get(o.strategy!) ?? 0) + 1);
      const sizes = c.tenants.map((t) => t.chunks);
      const span = sizes.length === 1 ? String(sizes[0]) : `${Math.min(...sizes)}–${Math.max(...sizes)}`;
      const recallText = mode === "vector" ? recall.toFixed(3) : "–";
      // The worst question's recall, and how many questions were under 0.9.
      const minText = mode === "vector" ? `${Math.min(...recalls).toFixed(1)} (${recalls.filter((r) => r < 0.9).length})` : "–";
      console.log(
        `${`${mode} / ${c.name}`.padEnd(24)} ${String(c.tenants.length).padStart(7)} ${span.padStart(15)} ${f(one.p50)} ${f(one.p95)} ${f(eight.p50)} ${f(eight.p95)} ${f(wholeCall.p50).padStart(9)} ${f(wholeCall.p95).padStart(9)} ${recallText.padStart(9)} ${minText.padStart(10)} ${`${(full * 100).toFixed(0)}%`.padStart(6)} ${(one.p95 / anchorHnsw.p95).toFixed(1).padStart(8)}  ${[...strategies].map(([s, n]) => `${s} ${n}`).join(", ")}`,
      );
      const met = (mode === "hybrid" || recall >= TARGET.recall) && full === 1 && one.p95 <= TARGET.p95Ms;
      verdicts.push(`${mode} / ${c.name}: ${met ? "met" : "NOT met"}`);
      headline.push({
        measure: `${mode} / ${c.name}: search p95 at 1 client${mode === "vector" ? ", recall@10" : ""}`,
        figure: `${one.p95.toFixed(1)} ms${mode === "vector" ? `, ${recall.toFixed(3)}` : ""}`,
        target: `p95 ≤ ${TARGET.p95Ms} ms${mode === "vector" ? `, recall ≥ ${TARGET.recall}` : ""}, k rows 100%`,
        met,
      });
    }
  }
  console.log(
    `\n1c / 8c: search (withTenant + searchChunks, what retrieve() runs after embedding) at 1 and ${CLIENTS} concurrent clients; whole: retrieve() at 1 client, ` +
      `query embedded through the gateway by the loopback fake. k rows: share of all queries (1c, 8c, whole) that returned ${K}.`,
  );
  console.log(`Targets (search at 1 client): recall@10 ≥ ${TARGET.recall}, k rows 100%, p95 ≤ ${TARGET.p95Ms} ms. ${verdicts.join("; ")}.`);
  writeBenchSummary(
    "retrieval",
    headline,
    `${CHUNKS.toLocaleString("en")} chunks in ${TENANTS} tenants, ${QUERIES} questions per class, ${ROUNDS} round${ROUNDS === 1 ? "" : "s"}`,
  );
  await closeDatabase();
} finally {
  await owner.end();
  await watcher.end();
  await fake.close();
  if (KEEP) console.log(`kept ${databaseUrl}`);
  else await dropTestDatabase(adminUrl, databaseUrl);
}
