// `npm run bench:answers`: how often a grounded chat answer states the expected fact and cites the
// passage that holds it. Three documents generated from BENCH_SEED (bench/answers-corpus.ts) are
// uploaded and analysed through the real pipeline into a fresh workspace, then each of the 30
// questions is asked in a conversation of its own through the chat's real answer path (retrieval,
// grounding prompt, gateway, citations). An answer scores when it contains one of the question's
// accepted phrasings of the fact AND one of its citations points at a passage whose text holds
// that fact. Run on the offline model always, and through the configured provider when a key is set
// (OPENAI_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY or OPENAI_COMPATIBLE_BASE_URL).
//
// BENCH_SEED (default 17) varies the documents' facts; BENCH_VERBOSE=1 prints every miss with its
// answer; TEST_DATABASE_URL / BENCH_DATABASE_URL use PostgreSQL, else an embedded PGlite directory.
import { freshDatabase } from "./app-server";
import { benchDocuments, type BenchQuestion } from "./answers-corpus";
import { writeBenchSummary } from "./summary";

const SEED = Number(process.env.BENCH_SEED ?? 17);
const VERBOSE = process.env.BENCH_VERBOSE === "1";
const PROVIDER_ENV = ["OPENAI_API_KEY", "GOOGLE_GENERATIVE_AI_API_KEY", "OPENAI_COMPATIBLE_BASE_URL"] as const;

interface Outcome {
  document: string;
  question: string;
  stated: boolean;
  cited: boolean;
  answer: string;
}

const normalise = (text: string) => text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ");
const states = (text: string, q: BenchQuestion) => q.facts.some((fact) => normalise(text).includes(normalise(fact)));

const env = {} as NodeJS.ProcessEnv;
const dropDatabase = await freshDatabase(env, "keel_bench_answers");
const saved = Object.fromEntries(PROVIDER_ENV.map((name) => [name, process.env[name]]));
const providerConfigured = PROVIDER_ENV.some((name) => saved[name]);

const { seedBenchWorkspace } = await import("./workspace");
const { acceptUpload } = await import("../lib/documents/upload");
const { runAnalysis } = await import("../test/documents-harness");
const { createConversation, renameConversation } = await import("../lib/chat/conversations");
const { startAnswer, followAnswer } = await import("../lib/chat/answers");
const { answerDeps } = await import("../lib/chat/answer-deps");
const { getGateway } = await import("../lib/ai");
const { withTenant } = await import("../db/scope");
const { rawRows } = await import("../db/raw-rows");
const { closeDatabase } = await import("../db/client");
const { sql } = await import("drizzle-orm");

const resetGateway = () => (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");

/** The text of a cited passage, read back from the stored chunks of the document's active version. */
async function passageText(tenantId: string, documentId: string, chunkIndex: number): Promise<string> {
  const rows = await withTenant(tenantId, (tx) =>
    rawRows<{ content: string }>(
      tx,
      sql`select c.content from document_chunks c join documents d on d.id = c.document_id and c.version = d.active_version
          where c.tenant_id = ${tenantId}::uuid and c.document_id = ${documentId}::uuid and c.chunk_index = ${chunkIndex}`,
    ),
  );
  return rows[0]?.content ?? "";
}

async function runMode(label: string): Promise<Outcome[]> {
  await getGateway().flush();
  resetGateway();
  const { ctx } = await seedBenchWorkspace(`Answers ${label}`, `bench-answers-${label}-${Date.now()}@example.test`);
  const documents = benchDocuments(SEED);
  for (const doc of documents) {
    const { request } = await acceptUpload(ctx, { fileName: doc.fileName, bytes: new TextEncoder().encode(doc.text), collectionId: null });
    const { error } = await runAnalysis(request);
    if (error) throw new Error(`${doc.fileName} could not be analysed: ${String(error)}`);
  }
  const deps = answerDeps();
  const outcomes: Outcome[] = [];
  for (const doc of documents) {
    for (const q of doc.questions) {
      const conversation = await createConversation(ctx);
      // Titled already, so no title call is made: what is measured is the answer alone.
      await renameConversation(ctx, conversation.id, "Bench");
      const { answerId } = await startAnswer(ctx, conversation.id, { kind: "ask", question: q.question }, deps);
      let final = null;
      for await (const update of followAnswer(ctx, answerId)) if (update.final) final = update.final;
      if (!final) throw new Error("an answer never finished");
      const stated = states(final.content, q);
      let cited = false;
      for (const citation of final.citations ?? []) {
        if (states(await passageText(ctx.tenantId, citation.documentId, citation.chunkIndex), q)) cited = true;
      }
      outcomes.push({ document: doc.fileName, question: q.question, stated, cited, answer: final.content });
    }
  }
  await getGateway().flush();
  return outcomes;
}

function table(results: Map<string, Outcome[]>): string {
  const documents = [...new Set([...results.values()].flat().map((o) => o.document))];
  const pct = (n: number, of: number) => (of === 0 ? "–" : `${Math.round((n / of) * 100)}%`);
  const rows = [["mode", "document", "questions", "fact stated", "right passage cited", "both (score)"]];
  for (const [mode, outcomes] of results) {
    for (const document of [...documents, "all"]) {
      const these = document === "all" ? outcomes : outcomes.filter((o) => o.document === document);
      const both = these.filter((o) => o.stated && o.cited).length;
      rows.push([
        mode,
        document,
        String(these.length),
        pct(these.filter((o) => o.stated).length, these.length),
        pct(these.filter((o) => o.cited).length, these.length),
        `${both}/${these.length} = ${pct(both, these.length)}`,
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")).join("\n");
}

const results = new Map<string, Outcome[]>();
try {
  // Offline: nothing configured, as on a fresh `npm run dev`.
  for (const name of PROVIDER_ENV) delete process.env[name];
  results.set("offline", await runMode("offline"));
  if (providerConfigured) {
    for (const name of PROVIDER_ENV) if (saved[name] !== undefined) process.env[name] = saved[name];
    results.set("provider", await runMode("provider"));
  }
} finally {
  await closeDatabase().catch(() => {});
  await dropDatabase();
}

console.log(`Keel answer-quality benchmark: 3 generated documents, 30 questions (seed ${SEED}).`);
console.log("A question scores when the answer states the expected fact and cites a passage that holds it.\n");
console.log(table(results));
if (!providerConfigured) console.log("\nprovider: skipped (set OPENAI_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY or OPENAI_COMPATIBLE_BASE_URL to run it)");
for (const [mode, outcomes] of results) {
  const misses = outcomes.filter((o) => !(o.stated && o.cited));
  if (misses.length === 0) continue;
  console.log(`\n${mode}: ${misses.length} missed${VERBOSE ? ":" : " (BENCH_VERBOSE=1 lists them)"}`);
  if (VERBOSE) {
    for (const miss of misses) {
      console.log(
        `- ${miss.question} [stated: ${miss.stated ? "yes" : "no"}, cited: ${miss.cited ? "yes" : "no"}]\n    ${miss.answer.replace(/\s+/g, " ").slice(0, 300)}`,
      );
    }
  }
}
writeBenchSummary(
  "answers",
  [...results].map(([mode, outcomes]) => {
    const both = outcomes.filter((o) => o.stated && o.cited).length;
    return { measure: `${mode}: fact stated and right passage cited`, figure: `${both}/${outcomes.length}`, target: "—", met: null };
  }),
  `seed ${SEED}, 30 questions`,
);
process.exit(0);
