// Seeds the retrieval benchmark's database: tenants with skewed sizes (one holds half the chunks,
// most under 1%), documents and chunks whose vectors are Gaussian clusters on the unit sphere
// (topics shared across tenants, documents around a topic, chunks around a document), and words
// drawn from each topic's vocabulary so the full-text side of hybrid mode has something to find.
// Loaded with COPY as the database owner, with the chunk indexes dropped first and rebuilt after
// (each build timed), as a bulk import would be done.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
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
  topic: number;
  centre: Float32Array;
}

export interface SeededTenant {
  index: number;
  id: string;
  chunks: number;
  topics: number[];
  documents: SeededDocument[];
}

export interface Corpus {
  tenants: SeededTenant[];
  topicCentres: Float32Array[];
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

export function makeCorpus(rng: Random, options: SeedOptions, tenantIds: string[]): Corpus {
  const shared = normalise(Float32Array.from({ length: options.dimensions }, () => rng.normal()));
  const topicCentres = Array.from({ length: options.topics }, () => {
    const v = normalise(Float32Array.from({ length: options.dimensions }, () => rng.normal()));
    for (let i = 0; i < v.length; i++) v[i] = v[i]! + SHARED_LEAN * shared[i]!;
    return normalise(v);
  });
  const vocabulary = topicCentres.map(() => Array.from({ length: 8 }, () => word(rng)));
  const sizes = tenantSizes(options.tenants, options.chunks);
  const tenants = sizes.map((chunks, index) => {
    // A big tenant writes about many topics, a small one about a few; topics overlap across tenants.
    const topicCount = Math.min(options.topics / 2, Math.max(3, Math.round(chunks / 400)));
    const topics = new Set<number>();
    while (topics.size < topicCount) topics.add(rng.int(options.topics));
    return { index, id: tenantIds[index]!, chunks, topics: [...topics], documents: [] as SeededDocument[] };
  });
  return { tenants, topicCentres, vocabulary };
}

export interface Query {
  tenant: SeededTenant;
  text: string;
  vector: Float32Array;
}

/** Queries near the tenant's own clusters, with a few of the topic's words as the typed text. */
export function makeQueries(rng: Random, corpus: Corpus, tenant: SeededTenant, count: number, taken: Set<string>): Query[] {
  const queries: Query[] = [];
  while (queries.length < count) {
    const document = tenant.documents[rng.int(tenant.documents.length)]!;
    const centre = rng.uniform() < 0.5 ? document.centre : corpus.topicCentres[document.topic]!;
    const words = corpus.vocabulary[document.topic]!;
    const text = `${COMMON[rng.int(COMMON.length)]} ${words[rng.int(8)]} ${words[rng.int(8)]} ${word(rng)}`;
    if (taken.has(text)) continue;
    taken.add(text);
    queries.push({ tenant, text, vector: around(rng, centre, QUERY_SPREAD) });
  }
  return queries;
}

const vectorText = (v: Float32Array) => `[${Array.from(v, (x) => x.toFixed(5)).join(",")}]`;

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
}

/** Tenants, their default collections, documents and chunks; returns the corpus and the times. */
export async function seedRetrieval(sql: postgres.Sql, rng: Random, options: SeedOptions): Promise<{ corpus: Corpus; times: LoadTimes }> {
  const tenantIds = Array.from({ length: options.tenants }, () => randomUUID());
  const collectionIds = tenantIds.map(() => randomUUID());
  await sql`insert into tenants (id, name, slug, plan)
            select id, 'Bench ' || n, 'bench-retrieval-' || n, 'enterprise' from unnest(${sql.array(tenantIds)}::uuid[]) with ordinality as t(id, n)`;
  await sql`insert into collections (id, tenant_id, name, is_default)
            select c, t, 'General', true from unnest(${sql.array(collectionIds)}::uuid[], ${sql.array(tenantIds)}::uuid[]) as x(c, t)`;
  const corpus = makeCorpus(rng, options, tenantIds);

  // Dropped before the load and rebuilt after: one build per index instead of 200,000 insertions.
  const indexes = await sql<{ name: string; definition: string }[]>`
    select indexname as name, indexdef as definition from pg_indexes
    where tablename = 'document_chunks' and indexname <> 'document_chunks_pkey' order by indexname`;
  for (const index of indexes) await sql.unsafe(`drop index "${index.name}"`);

  const loading = performance.now();
  // Documents of 8 to 39 chunks, each about one of its tenant's topics.
  const plan: { tenant: SeededTenant; id: string; topic: number; centre: Float32Array; chunks: number }[] = [];
  for (const tenant of corpus.tenants) {
    for (let left = tenant.chunks; left > 0;) {
      const chunks = Math.min(left, 8 + rng.int(32));
      left -= chunks;
      const topic = tenant.topics[rng.int(tenant.topics.length)]!;
      const centre = around(rng, corpus.topicCentres[topic]!, DOCUMENT_SPREAD);
      tenant.documents.push({ topic, centre });
      plan.push({ tenant, id: randomUUID(), topic, centre, chunks });
    }
  }
  await copyRows(
    sql,
    `copy documents (id, tenant_id, collection_id, name, kind, size_bytes, sha256, storage_key, status, version, active_version, chunk_count) from stdin`,
    plan.map(
      (d, i) => `${d.id}\t${d.tenant.id}\t${collectionIds[d.tenant.index]}\tdoc-${i}.pdf\tpdf\t100000\tbench\tbench/${d.id}\tready\t1\t1\t${d.chunks}\n`,
    ),
  );
  function* chunkRows(): Generator<string> {
    for (const d of plan) {
      const words = corpus.vocabulary[d.topic]!;
      for (let c = 0; c < d.chunks; c++) {
        // A quarter of the words are the topic's own, the rest common or one-off words.
        const body = Array.from({ length: 60 }, () =>
          rng.uniform() < 0.25 ? words[rng.int(8)] : rng.uniform() < 0.5 ? COMMON[rng.int(COMMON.length)] : word(rng),
        ).join(" ");
        const vector = vectorText(around(rng, d.centre, CHUNK_SPREAD));
        yield `${d.tenant.id}\t${d.id}\t${collectionIds[d.tenant.index]}\t1\t${c}\t${body}\t${words[0]} ${words[1]}\t${c + 1}\t${c + 1}\t80\th${c}\t${vector}\t${options.embeddingModel}\th${c}\tt\n`;
      }
    }
  }
  await copyRows(
    sql,
    `copy document_chunks (tenant_id, document_id, collection_id, version, chunk_index, content, heading, page_start, page_end, token_count, content_hash, embedding, embedding_model, embedded_hash, active) from stdin`,
    chunkRows(),
  );
  const loadSeconds = (performance.now() - loading) / 1000;

  const indexSeconds: LoadTimes["indexSeconds"] = [];
  await sql`set maintenance_work_mem = '1GB'`;
  // The HNSW graph last, so its time is its own.
  for (const index of [...indexes].sort((a, b) => Number(a.definition.includes("hnsw")) - Number(b.definition.includes("hnsw")))) {
    const started = performance.now();
    const definition =
      options.hnswWith && index.definition.includes("hnsw") ? index.definition.replace(/WITH \(.*\)/, `WITH (${options.hnswWith})`) : index.definition;
    await sql.unsafe(definition);
    indexSeconds.push({ name: index.name, seconds: (performance.now() - started) / 1000 });
  }
  await sql`vacuum analyze document_chunks`;
  await sql`vacuum analyze documents`;
  return { corpus, times: { loadSeconds, indexSeconds } };
}
