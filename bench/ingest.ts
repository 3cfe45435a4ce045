// `npm run bench:ingest`: a generated 200-page PDF and a 5 MB DOCX through the whole document
// pipeline of a production build (`npm start`, one worker, the offline models, the local executor),
// uploaded and watched over HTTP like a browser: pages/s, chunks/s, embeddings/s, time per stage,
// time from the end of the upload to the first progress event on /api/live, and the server's peak
// memory above idle. Uses PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set.
import { randomBytes } from "node:crypto";
import { makeDocx, makePdf } from "../test/document-fixtures";
import { freshDatabase, residentBytes, serverEnv, signInOverHttp, startAppServer } from "./app-server";
import { writeBenchSummary } from "./summary";

const PORT = Number(process.env.BENCH_PORT ?? 3291);
const PDF_PAGES = Number(process.env.BENCH_PDF_PAGES ?? 200);
const DOCX_BYTES = Number(process.env.BENCH_DOCX_MB ?? 5) * 1024 * 1024;

/** Deterministic, varied prose: a seeded generator over a plain vocabulary. */
function prose(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const subjects = [
    "The operations team",
    "Our wind farm in Aberdeen",
    "The maintenance contractor",
    "Each turbine controller",
    "The quarterly review",
    "The grid operator",
  ];
  const verbs = ["reported", "measured", "reduced", "scheduled", "inspected", "forecast", "approved", "replaced"];
  const objects = [
    "gearbox vibration",
    "blade pitch faults",
    "output per megawatt",
    "spare parts stock",
    "the safety audit",
    "downtime after storms",
    "bearing temperatures",
  ];
  const tails = [
    "ahead of the winter season.",
    "within the agreed budget.",
    "for the third month in a row.",
    "after the firmware update.",
    "across all northern sites.",
  ];
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  return () => `${pick(subjects)} ${pick(verbs)} ${pick(objects)} ${pick(tails)}`;
}

async function makeBenchPdf(pages: number): Promise<Uint8Array> {
  const sentence = prose(42);
  return makePdf(
    Array.from({ length: pages }, (_, p) => ({
      heading: p % 10 === 0 ? `Chapter ${p / 10 + 1}: Site operations` : undefined,
      paragraphs: Array.from({ length: 5 }, () => Array.from({ length: 5 }, sentence).join(" ")),
    })),
  );
}

/** A DOCX of about `bytes`: 150 pages of text, and figures (incompressible images) making up the rest. */
function makeBenchDocx(bytes: number): Uint8Array {
  const sentence = prose(7);
  const blocks = Array.from({ length: 1_500 }, (_, i) =>
    i % 25 === 0 ? { heading: `Section ${i / 25 + 1}` } : { paragraph: Array.from({ length: 6 }, sentence).join(" ") },
  );
  const text = makeDocx(blocks);
  const figures: Record<string, Uint8Array> = {};
  const figureBytes = Math.max(0, bytes - text.length);
  for (let i = 0; i * 512 * 1024 < figureBytes; i++)
    figures[`word/media/figure${i + 1}.png`] = new Uint8Array(randomBytes(Math.min(512 * 1024, figureBytes - i * 512 * 1024)));
  return makeDocx(blocks, figures);
}

interface LiveEvent {
  event: string;
  data: { documentId?: string | null; status?: string; stage?: string; done?: number; total?: number };
  at: number;
}

/** Follows /api/live like a browser's EventSource, recording each event with its arrival time. */
async function followLive(baseUrl: string, cookie: string, events: LiveEvent[], signal: AbortSignal): Promise<void> {
  const response = await fetch(`${baseUrl}/api/live`, { headers: { cookie, accept: "text/event-stream" }, signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const ready = new Promise<void>((resolve) => {
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.+)$/m.exec(frame)?.[1];
            const data = /^data: (.+)$/m.exec(frame)?.[1];
            if (event === "ready") resolve();
            if (event && data) events.push({ event, data: JSON.parse(data) as LiveEvent["data"], at: performance.now() });
          }
        }
      } catch {
        // aborted at the end of the run
      }
    })();
  });
  await ready;
}

const env = serverEnv(PORT);
const dropDatabase = await freshDatabase(env, "keel_bench_ingest");
const { signUp } = await import("../lib/tenancy/sign-up");
const { closeDatabase } = await import("../db/client");
const { withSystem } = await import("../db/scope");
const { jobEvents, jobs, documents } = await import("../db/schema");
const { eq, asc } = await import("drizzle-orm");
const email = `ingest-${Date.now()}@example.test`;
const password = "ingest-password-123";
const account = await signUp({ name: "Bench", email, password, workspaceName: "Ingest bench" }, { clientAddress: "127.0.0.1" });
// The free plan's monthly allowance is smaller than a 200-page PDF plus a 5 MB DOCX: measure the
// pipeline on the enterprise plan (unlimited), as an operator would set it.
const { changeTenantPlan } = await import("../lib/operator/tenant-plans");
await changeTenantPlan({ userId: account.userId, email }, account.tenantId, "enterprise");

const server = await startAppServer(PORT, env);
const stopLive = new AbortController();
try {
  const cookie = await signInOverHttp(server.url, email, password);
  const events: LiveEvent[] = [];
  await followLive(server.url, cookie, events, stopLive.signal);
  // Warm up the routes and the offline models, then measure the worker at rest.
  await fetch(`${server.url}/documents`, { headers: { cookie } });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idle = residentBytes(server.workerPid());

  const files = [
    { name: "site-operations.pdf", bytes: await makeBenchPdf(PDF_PAGES) },
    { name: "annual-review.docx", bytes: makeBenchDocx(DOCX_BYTES) },
  ];
  const rows: string[][] = [];
  for (const file of files) {
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(server.workerPid()))), 50);
    const uploadStarted = performance.now();
    const uploaded = await fetch(`${server.url}/api/documents`, {
      method: "POST",
      headers: { cookie, "content-type": "application/octet-stream", "x-file-name": encodeURIComponent(file.name), origin: server.url },
      body: Buffer.from(file.bytes),
    });
    const uploadedAt = performance.now();
    if (uploaded.status !== 201) throw new Error(`upload of ${file.name} failed: ${uploaded.status} ${await uploaded.text()}`);
    const { document } = (await uploaded.json()) as { document: { id: string } };
    const mine = () => events.filter((e) => e.event === "job" && e.data.documentId === document.id);
    for (;;) {
      const last = mine().at(-1);
      if (last && ["succeeded", "failed", "cancelled"].includes(last.data.status ?? "")) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    clearInterval(sampler);
    const done = mine().at(-1)!;
    if (done.data.status !== "succeeded") throw new Error(`${file.name}: the analysis ended ${done.data.status}`);
    const firstProgress = mine().find((e) => e.data.status === "running")!;

    const { stages, stored } = await withSystem("bench: read the job's history", async (tx) => {
      const [job] = await tx.select().from(jobs).where(eq(jobs.documentId, document.id));
      const [row] = await tx.select().from(documents).where(eq(documents.id, document.id));
      const history = await tx.select().from(jobEvents).where(eq(jobEvents.jobId, job!.id)).orderBy(asc(jobEvents.createdAt));
      return { stages: history, stored: row! };
    });
    const seconds = (stage: string) => {
      const index = stages.findIndex((s) => s.stage === stage);
      if (index < 0 || index + 1 >= stages.length) return NaN;
      return (stages[index + 1]!.createdAt.getTime() - stages[index]!.createdAt.getTime()) / 1000;
    };
    const chunks = stored.chunkCount ?? 0;
    const perSecond = (count: number, s: number) => (Number.isFinite(s) && s > 0 ? (count / s).toFixed(1) : "–");
    rows.push([
      file.name,
      `${(file.bytes.length / 1024 / 1024).toFixed(1)} MB`,
      String(stored.pageCount ?? "–"),
      String(chunks),
      ((uploadedAt - uploadStarted) / 1000).toFixed(2),
      ((firstProgress.at - uploadedAt) / 1000).toFixed(3),
      ["extracting", "chunking", "embedding", "analysing"].map((s) => seconds(s).toFixed(2)).join(" / "),
      ((done.at - uploadedAt) / 1000).toFixed(2),
      stored.pageCount ? perSecond(stored.pageCount, seconds("extracting")) : "–",
      perSecond(chunks, seconds("chunking")),
      perSecond(chunks, seconds("embedding")),
      `${((peak - idle) / 1024 / 1024).toFixed(0)} MB`,
    ]);
  }
  console.log(
    `\nIngest benchmark: ${process.env.DATABASE_URL ? "PostgreSQL" : "embedded PGlite"}, offline models, one worker, idle RSS ${(idle / 1024 / 1024).toFixed(0)} MB\n`,
  );
  const header = [
    "file",
    "size",
    "pages",
    "chunks",
    "upload s",
    "first progress s",
    "read / split / embed / analyse s",
    "end to end s",
    "pages/s",
    "chunks/s",
    "embeddings/s",
    "peak above idle",
  ];
  console.log(`| ${header.join(" | ")} |\n|${header.map(() => "---").join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  writeBenchSummary(
    "ingest",
    rows.map((row) => ({ measure: `${row[0]}: end to end (pages/s, chunks/s)`, figure: `${row[7]} s (${row[8]}, ${row[9]})`, target: "—", met: null })),
    `a ${PDF_PAGES}-page PDF and a ${(DOCX_BYTES / 1024 / 1024).toFixed(0)} MB DOCX`,
  );
} finally {
  stopLive.abort();
  await server.stop();
  await closeDatabase();
  await dropDatabase();
}
