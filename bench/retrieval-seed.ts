// Seeds the retrieval benchmark's database: tenants with skewed sizes (one holds half the chunks,
// most under 1%), documents and chunks whose vectors are Gaussian clusters on the unit sphere
// (topics shared across tenants, documents around a topic, chunks around a document), and words
// drawn from each topic's vocabulary so the full-text side of hybrid mode has something to find.
//
// The vectors are made on the server (a million would take minutes to format and send): each
// document's centre is its topic's plus noise, each chunk its document's plus noise, the noise the
// sum of three vectors drawn from a pool of 32,768 Gaussian ones (so any two chunks share a noise
// component with probability about 1/10,000). The chunk indexes are dropped first and rebuilt
// after (each build timed), as a bulk import would be done. What the questions need (topics,
// documents and their centres) stays in bench_* tables, so a kept database is reused as it is.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import os from "node:os";
import { execFileSync } from "node:child_process";
import type postgres from "postgres";

/** Deterministic generator (mulberry32) and Box–Muller normals, so every run sees the same data. */
export function random(seed: number) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const int = (n: number) => Math.floor(uniform() * n);
  return { uniform, normal, int };
}
export type Random = ReturnType<typeof random>;

export function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

/** `centre` plus isotropic noise of about `spread` in length, back on the unit sphere. */
export function around(rng: Random, centre: Float32Array, spread: number): Float32Array {
  const sigma = spread / Math.sqrt(centre.length);
  const v = new Float32Array(centre.length);
  for (let i = 0; i < v.length; i++) v[i] = centre[i]! + sigma * rng.normal();
  return normalise(v);
}

// Real embeddings are anisotropic (unrelated texts still score 0.1–0.3): every topic leans towards
// one shared direction. Documents sit about 0.7 from their topic, chunks 0.55 from their document.
const SHARED_LEAN = 0.45;
const DOCUMENT_SPREAD = 0.7;
const CHUNK_SPREAD = 0.55;
/** Questions are near a document (a question about it) or near a topic (a broader one). */
const QUERY_SPREAD = 0.6;
const NOISE_POOL = 32_768;
/** Bodies per topic: a chunk's text is one of its topic's, picked at random. */
const BODIES_PER_TOPIC = 64;

export interface SeedOptions {
  chunks: number;
  tenants: number;
  topics: number;
  dimensions: number;
  embeddingModel: string;
  /** Another HNSW build to try (`m=32,ef_construction=256`) instead of the migrations' own. */
  hnswWith?: string;
}

export interface SeededDocument {
  id: string;
  topic: number;
}

export interface SeededTenant {
  index: number;
  id: string;
  chunks: number;
  documents: SeededDocument[];
}

export interface Corpus {
  tenants: SeededTenant[];
  vocabulary: string[][];
}

/** Tenant 0 holds half; the other half follows a Zipf-like tail (a few at 1–15%, most under 1%). */
export function tenantSizes(tenants: number, chunks: number): number[] {
  const large = Math.floor(chunks / 2);
  const weights = Array.from({ length: tenants - 1 }, (_, i) => 1 / (i + 1) ** 1.2);
  const sum = weights.reduce((a, b) => a + b, 0);
  const rest = weights.map((w) => Math.max(20, Math.floor((w / sum) * (chunks - large))));
  rest[0]! += chunks - large - rest.reduce((a, b) => a + b, 0);
  return [large, ...rest];
}

const SYLLABLES = ["ka", "lo", "mi", "ren", "tas", "vo", "dun", "pe", "sil", "gra", "no", "bex", "ul", "tri", "zam", "or", "fen", "qui", "hal", "mor"];
const COMMON = ["the", "report", "team", "review", "quarter", "site", "plan", "update", "budget", "process", "policy", "schedule", "customer", "system"];

function word(rng: Random): string {
  return Array.from({ length: 2 + rng.int(2) }, () => SYLLABLES[rng.int(SYLLABLES.length)]).join("");
}

const vectorText = (v: Float32Array) => `[${Array.from(v, (x) => x.toFixed(5)).join(",")}]`;
const parseVector = (text: string) => Float32Array.from(text.slice(1, -1).split(","), Number);

export interface Query {
  tenant: SeededTenant;
  text: string;
  vector: Float32Array;
}

/** Questions near the tenant's own clusters, with a few of the topic's words as the typed text. */
export async function makeQueries(sql: postgres.Sql, rng: Random, corpus: Corpus, picks: SeededTenant[], taken: Set<string>): Promise<Query[]> {
  const planned = picks.map((tenant) => {
    for (;;) {
      const document = tenant.documents[rng.int(tenant.documents.length)]!;
      const nearDocument = rng.uniform() < 0.5;
      const words = corpus.vocabulary[document.topic]!;
      const text = `${COMMON[rng.int(COMMON.length)]} ${words[rng.int(8)]} ${words[rng.int(8)]} ${word(rng)}`;
      if (taken.has(text)) continue;
      taken.add(text);
      return { tenant, document, nearDocument, text };
    }
  });
  const ids = [...new Set(planned.map((p) => p.document.id))];
  const rows = await sql<{ id: string; centre: string; topic_centre: string }[]>`
    select d.id, d.centre::text as centre, t.centre::text as topic_centre
    from bench_documents d join bench_topics t on t.topic = d.topic where d.id = any(${sql.array(ids)}::uuid[])`;
  const centres = new Map(rows.map((r) => [r.id, { document: parseVector(r.centre), topic: parseVector(r.topic_centre) }]));
  return planned.map((p) => {
    const centre = centres.get(p.document.id)!;
    return { tenant: p.tenant, text: p.text, vector: around(rng, p.nearDocument ? centre.document : centre.topic, QUERY_SPREAD) };
  });
}

/** Writes lines to a COPY … FROM STDIN, respecting backpressure. */
async function copyRows(sql: postgres.Sql, statement: string, rows: Iterable<string>): Promise<void> {
  const writable = await sql.unsafe(statement).writable();
  let buffer = "";
  for (const row of rows) {
    buffer += row;
    if (buffer.length > 1 << 20) {
      if (!writable.write(buffer)) await once(writable, "drain");
      buffer = "";
    }
  }
  writable.end(buffer);
  await once(writable, "finish");
}

export interface LoadTimes {
  loadSeconds: number;
  indexSeconds: { name: string; seconds: number }[];
  maintenanceWorkMem: string;
}

/** The benchmark's parameters as stored with a seeded database: a kept one is reused only if they match. */
export const seedSignature = (options: SeedOptions) =>
  JSON.stringify({
    chunks: options.chunks,
    tenants: options.tenants,
    topics: options.topics,
    dimensions: options.dimensions,
    model: options.embeddingModel,
    hnsw: options.hnswWith ?? null,
    version: 2,
  });

/** The signature of a completely seeded database, or null. */
export async function seededSignature(sql: postgres.Sql): Promise<string | null> {
  const [table] = await sql<{ exists: boolean }[]>`select to_regclass('bench_meta') is not null as exists`;
  if (!table!.exists) return null;
  const [row] = await sql<{ signature: string }[]>`select signature from bench_meta`;
  return row?.signature ?? null;
}

/**
 * Lowers the CPU priority of a session's server process and its parallel workers (the machine is
 * shared; a build of a million vectors takes many minutes). Asked from another connection, since
 * the session is busy while it builds. Best effort: needs a local server whose processes this user
 * may renice.
 */
async function niceServer(watcher: postgres.Sql, backend: number): Promise<void> {
  const rows = await watcher<{ pid: number }[]>`select pid from pg_stat_activity where pid = ${backend} or leader_pid = ${backend}`;
  for (const { pid } of rows) {
    try {
      execFileSync("renice", ["-n", "10", "-p", String(pid)], { stdio: "ignore" });
    } catch {
      // Not ours to renice (another user, or a remote server): it runs at its own priority.
    }
  }
}

/** Tenants, their default collections, documents and chunks; returns the times. */
export async function seedRetrieval(sql: postgres.Sql, watcher: postgres.Sql, rng: Random, options: SeedOptions): Promise<LoadTimes> {
  const { dimensions: D } = options;
  const [{ pid: backend } = { pid: 0 }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  await niceServer(watcher, backend);
  await sql`set max_parallel_workers_per_gather = 0`; // random() in one process: the same data every run
  await sql`set work_mem = '512MB'`;
  await sql`set jit = off`;
  await sql`select setseed(0.2026)`;

  const tenantIds = Array.from({ length: options.tenants }, () => randomUUID());
  const collectionIds = tenantIds.map(() => randomUUID());
  await sql`insert into tenants (id, name, slug, plan)
            select id, 'Bench ' || n, 'bench-retrieval-' || n, 'enterprise' from unnest(${sql.array(tenantIds)}::uuid[]) with ordinality as t(id, n)`;
  await sql`insert into collections (id, tenant_id, name, is_default)
            select c, t, 'General', true from unnest(${sql.array(collectionIds)}::uuid[], ${sql.array(tenantIds)}::uuid[]) as x(c, t)`;

  await sql.unsafe(`create table bench_meta (signature text not null);
    create table bench_tenants (ordinal int primary key, id uuid not null, chunks int not null);
    create table bench_topics (topic int primary key, centre vector(${D}) not null, words text[] not null);
    create table bench_bodies (topic int, j int, body text not null, primary key (topic, j));
    create table bench_noise (i int primary key, n vector(${D}) not null);
    create table bench_documents (ordinal int primary key, id uuid not null, tenant_id uuid not null, collection_id uuid not null,
                                  topic int not null, chunks int not null, centre vector(${D}));`);

  // Topics and their words (small: made here); bodies drawn from a topic's words.
  const shared = normalise(Float32Array.from({ length: D }, () => rng.normal()));
  const topicCentres = Array.from({ length: options.topics }, () => {
    const v = normalise(Float32Array.from({ length: D }, () => rng.normal()));
    for (let i = 0; i < v.length; i++) v[i] = v[i]! + SHARED_LEAN * shared[i]!;
    return normalise(v);
  });
  const vocabulary = topicCentres.map(() => Array.from({ length: 8 }, () => word(rng)));
  await copyRows(
    sql,
    `copy bench_topics (topic, centre, words) from stdin`,
    topicCentres.map((c, t) => `${t}\t${vectorText(c)}\t{${vocabulary[t]!.join(",")}}\n`),
  );
  function* bodies(): Generator<string> {
    for (let t = 0; t < options.topics; t++) {
      const words = vocabulary[t]!;
      for (let j = 0; j < BODIES_PER_TOPIC; j++) {
        // A quarter of the words are the topic's own, the rest common or one-off words.
        const body = Array.from({ length: 60 }, () =>
          rng.uniform() < 0.25 ? words[rng.int(8)] : rng.uniform() < 0.5 ? COMMON[rng.int(COMMON.length)] : word(rng),
        ).join(" ");
        yield `${t}\t${j}\t${body}\n`;
      }
    }
  }
  await copyRows(sql, `copy bench_bodies (topic, j, body) from stdin`, bodies());

  // Documents of 8 to 39 chunks, each about one of its tenant's topics. A big tenant writes about
  // many topics, a small one about a few; topics overlap across tenants.
  const sizes = tenantSizes(options.tenants, options.chunks);
  const documents: string[] = [];
  const benchDocuments: string[] = [];
  sizes.forEach((chunks, index) => {
    const topicCount = Math.min(options.topics / 2, Math.max(3, Math.round(chunks / 400)));
    const topics = new Set<number>();
    while (topics.size < topicCount) topics.add(rng.int(options.topics));
    const topicList = [...topics];
    for (let left = chunks; left > 0;) {
      const count = Math.min(left, 8 + rng.int(32));
      left -= count;
      const id = randomUUID();
      const n = benchDocuments.length;
      documents.push(`${id}\t${tenantIds[index]}\t${collectionIds[index]}\tdoc-${n}.pdf\tpdf\t100000\tbench\tbench/${id}\tready\t1\t1\t${count}\n`);
      benchDocuments.push(`${n}\t${id}\t${tenantIds[index]}\t${collectionIds[index]}\t${topicList[rng.int(topicList.length)]}\t${count}\n`);
    }
  });
  await copyRows(
    sql,
    `copy bench_tenants (ordinal, id, chunks) from stdin`,
    sizes.map((chunks, i) => `${i}\t${tenantIds[i]}\t${chunks}\n`),
  );

  // Dropped before the load and rebuilt after: one build per index instead of a million insertions.
  const indexes = await sql<{ name: string; definition: string }[]>`
    select indexname as name, indexdef as definition from pg_indexes
    where tablename = 'document_chunks' and indexname <> 'document_chunks_pkey' order by indexname`;
  for (const index of indexes) await sql.unsafe(`drop index "${index.name}"`);

  const loading = performance.now();
  await copyRows(
    sql,
    `copy documents (id, tenant_id, collection_id, name, kind, size_bytes, sha256, storage_key, status, version, active_version, chunk_count) from stdin`,
    documents,
  );
  await copyRows(sql, `copy bench_documents (ordinal, id, tenant_id, collection_id, topic, chunks) from stdin`, benchDocuments);
  // The pool: unit-variance normals per coordinate (Box–Muller). A sum of three, scaled, is noise
  // of about `spread` in length: σ per coordinate = spread / √(D·3) for each of the three.
  await sql`insert into bench_noise (i, n)
            select i, array(select sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) from generate_series(1, ${D}) where i >= 0)::vector
            from generate_series(0, ${NOISE_POOL - 1}) i`;
  const scale = (spread: number) => `array_fill(${spread / Math.sqrt(D * 3)}::real, array[${D}])::vector`;
  const pick = `floor(random() * ${NOISE_POOL})::int`;
  await sql.unsafe(`analyze bench_noise; analyze bench_documents; analyze bench_topics; analyze bench_bodies`);
  await sql.unsafe(`
    update bench_documents d set centre = l2_normalize(t.centre + (p1.n + p2.n + p3.n) * ${scale(DOCUMENT_SPREAD)})
    from (select ordinal, ${pick} a, ${pick} b, ${pick} c from bench_documents offset 0) r, bench_topics t, bench_noise p1, bench_noise p2, bench_noise p3
    where r.ordinal = d.ordinal and t.topic = d.topic and p1.i = r.a and p2.i = r.b and p3.i = r.c`);
  await sql.unsafe(`
    insert into document_chunks (tenant_id, document_id, collection_id, version, chunk_index, content, heading, page_start, page_end,
                                 token_count, content_hash, embedding, embedding_model, embedded_hash, active)
    select d.tenant_id, d.id, d.collection_id, 1, r.c, b.body, t.words[1] || ' ' || t.words[2], r.c + 1, r.c + 1,
           80, 'h' || r.c, l2_normalize(d.centre + (p1.n + p2.n + p3.n) * ${scale(CHUNK_SPREAD)}), '${options.embeddingModel.replace(/'/g, "''")}', 'h' || r.c, true
    from (select ordinal, c, ${pick} a, ${pick} b, ${pick} n3, floor(random() * ${BODIES_PER_TOPIC})::int j
          from bench_documents, generate_series(0, chunks - 1) c offset 0) r
    join bench_documents d on d.ordinal = r.ordinal
    join bench_topics t on t.topic = d.topic
    join bench_bodies b on b.topic = d.topic and b.j = r.j
    join bench_noise p1 on p1.i = r.a join bench_noise p2 on p2.i = r.b join bench_noise p3 on p3.i = r.n3`);
  const loadSeconds = (performance.now() - loading) / 1000;

  const indexSeconds: LoadTimes["indexSeconds"] = [];
  // pgvector builds HNSW far faster when the graph fits in maintenance_work_mem (about 3 kB per
  // vector of 384 dimensions at m = 32); at most a quarter of the machine's memory.
  const memoryMb = Math.max(1024, Math.min(Math.ceil((options.chunks * 4) / 1024), Math.floor(os.totalmem() / 2 ** 20 / 4)));
  await sql.unsafe(`set maintenance_work_mem = '${memoryMb}MB'`);
  // The HNSW graph last, so its time is its own.
  for (const index of [...indexes].sort((a, b) => Number(a.definition.includes("hnsw")) - Number(b.definition.includes("hnsw")))) {
    const started = performance.now();
    const definition =
      options.hnswWith && index.definition.includes("hnsw") ? index.definition.replace(/WITH \(.*\)/, `WITH (${options.hnswWith})`) : index.definition;
    const building = sql.unsafe(definition);
    // Parallel build workers start with the statement: lower their priority too.
    const nicer = setTimeout(() => void niceServer(watcher, backend).catch(() => {}), 2000);
    await building;
    clearTimeout(nicer);
    indexSeconds.push({ name: index.name, seconds: (performance.now() - started) / 1000 });
  }
  await sql`vacuum analyze document_chunks`;
  await sql`vacuum analyze documents`;
  await sql`insert into bench_meta (signature) values (${seedSignature(options)})`;
  return { loadSeconds, indexSeconds, maintenanceWorkMem: `${memoryMb}MB` };
}

/** What the questions are made from, read back from a seeded database. */
export async function loadCorpus(sql: postgres.Sql): Promise<Corpus> {
  const tenants = await sql<{ ordinal: number; id: string; chunks: number }[]>`select ordinal, id, chunks from bench_tenants order by ordinal`;
  const docs = await sql<{ id: string; tenant_id: string; topic: number }[]>`select id, tenant_id, topic from bench_documents order by ordinal`;
  const topics = await sql<{ words: string[] }[]>`select words from bench_topics order by topic`;
  const byId = new Map<string, SeededTenant>(tenants.map((t) => [t.id, { index: t.ordinal, id: t.id, chunks: t.chunks, documents: [] }]));
  for (const d of docs) byId.get(d.tenant_id)!.documents.push({ id: d.id, topic: d.topic });
  return { tenants: [...byId.values()], vocabulary: topics.map((t) => t.words) };
}
