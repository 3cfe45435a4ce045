// Runs the real reembed function in-process with @inngest/test against the real database, and
// watches documents while it runs. The process-wide gateway is switched between Keel's offline
// model (what documents are first analysed with) and the scripted fake OpenAI server (the "new"
// embedding model), as a deployment does when a provider key is configured.
import { randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { and, eq, sql } from "drizzle-orm";
import type { Context } from "inngest";
import { documentChunks, embeddingBatches, jobs } from "@/db/schema";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
import { reembedFunction } from "@/inngest/functions/reembed";
import { getGateway } from "@/lib/ai";
import { acceptUpload } from "@/lib/documents/upload";
import type { ReembedScope } from "@/lib/documents/reembed/types";
import type { TenantContext } from "@/lib/tenancy/context";
import { runAnalysis } from "./documents-harness";

const gatewayEnv = [
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "KEEL_MAX_RETRIES",
  "KEEL_ROUTES",
  "KEEL_REEMBED_STEP_CHUNKS",
  "KEEL_REEMBED_BATCH_MIN_CHUNKS",
] as const;
const savedEnv = Object.fromEntries(gatewayEnv.map((name) => [name, process.env[name]]));

async function replaceGateway(env: Partial<Record<(typeof gatewayEnv)[number], string | undefined>>): Promise<void> {
  await getGateway().flush();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");
}

/** No provider key: the offline models (keel-offline-hash-384 for embeddings). */
export const switchToOfflineModels = () => replaceGateway({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, KEEL_ROUTES: undefined });

/** OpenAI through the fake server: embeddings by text-embedding-3-small (or `model`). */
export const switchToFakeOpenAI = (url: string, model?: string) =>
  replaceGateway({
    OPENAI_API_KEY: "test",
    OPENAI_BASE_URL: url,
    KEEL_MAX_RETRIES: "0",
    KEEL_ROUTES: model ? JSON.stringify({ embedding: { tiers: { default: [{ provider: "openai", model }] } } }) : undefined,
  });

export const setReembedEnv = (env: { stepChunks?: number; batchMinChunks?: number; maxSteps?: number | null }) => {
  if (env.stepChunks !== undefined) process.env.KEEL_REEMBED_STEP_CHUNKS = String(env.stepChunks);
  if (env.batchMinChunks !== undefined) process.env.KEEL_REEMBED_BATCH_MIN_CHUNKS = String(env.batchMinChunks);
  if (env.maxSteps === null) delete process.env.KEEL_REEMBED_MAX_STEPS;
  else if (env.maxSteps !== undefined) process.env.KEEL_REEMBED_MAX_STEPS = String(env.maxSteps);
};

export async function restoreGatewayEnv(): Promise<void> {
  await replaceGateway(savedEnv);
}

/** A Markdown document of about `chunks` chunks (800 tokens each), analysed with the current gateway. */
export async function analysedDocument(owner: TenantContext, name: string, chunks: number, collectionId: string | null = null) {
  const paragraphs = Array.from(
    { length: chunks * 30 },
    (_, i) => `Paragraph ${i} of ${name} explains how the ${name} turbines report vibration, temperature and output to operations every few seconds.`,
  );
  const text = `# ${name}\n\n${paragraphs.join("\n\n")}\n`;
  const { document, request } = await acceptUpload(owner, { fileName: `${name}.md`, bytes: new TextEncoder().encode(text), collectionId });
  const { error } = await runAnalysis(request);
  if (error) throw new Error(`analysis of ${name} failed: ${String(error)}`);
  return document;
}

export interface RunOptions {
  /** Runs after every step that executed (not replayed), with the step's id. */
  afterStep?: (stepId: string) => Promise<void>;
  /** Step ids answered by a mock instead of running (e.g. step.sleep waits). */
  mocks?: Array<{ id: string; handler: () => unknown }>;
  eventId?: string;
}

/** Runs the reembed function to its end (or its first failing step). */
export async function runReembed(data: { tenantId: string; scope: ReembedScope; jobId?: string; mode?: "auto" | "online" }, options: RunOptions = {}) {
  const engine = new InngestTestEngine({
    function: reembedFunction,
    transformCtx: options.afterStep
      ? (ctx: Context.Any) => {
          const run = ctx.step.run.bind(ctx.step) as (id: string, fn: () => Promise<unknown>) => Promise<unknown>;
          const wrapped = (id: string, fn: () => Promise<unknown>) =>
            run(id, async () => {
              const result = await fn();
              await options.afterStep!(id);
              return result;
            });
          return { ...ctx, step: { ...ctx.step, run: wrapped } } as Context.Any;
        }
      : undefined,
  });
  const { result, error, ctx } = await engine.execute({
    events: [{ id: options.eventId ?? randomUUID(), name: "embeddings/reembed.requested", data, ts: Date.now() }],
    steps: options.mocks,
  });
  await getGateway().flush();
  return { result, error, ctx };
}

/** Mocks for every provider-batch wait of the first rounds, so step.sleep returns at once. */
export const batchWaitMocks = (rounds = 3, polls = 8) =>
  Array.from({ length: rounds * polls }, (_, i) => ({ id: `batch-wait-${Math.floor(i / polls)}-${i % polls}`, handler: () => undefined }));

export interface DocumentEmbeddingState {
  documentId: string;
  chunks: number;
  models: string[];
  missing: number;
  shadows: number;
}

/** Per document of the tenant: its searchable chunks and the models their live vectors come from. */
export function activeEmbeddingState(tenantId: string): Promise<DocumentEmbeddingState[]> {
  return withSystem("test: watch active embeddings", async (tx) => {
    const rows = await rawRows<{ document_id: string; chunks: number; models: string[]; missing: number; shadows: number }>(
      tx,
      sql`select document_id, count(*)::int as chunks, array_agg(distinct coalesce(embedding_model, '(none)')) as models,
                 count(*) filter (where embedding is null)::int as missing, count(*) filter (where next_embedding is not null)::int as shadows
          from document_chunks where tenant_id = ${tenantId} and active group by document_id order by document_id`,
    );
    return rows.map((r) => ({ documentId: r.document_id, chunks: r.chunks, models: r.models, missing: r.missing, shadows: r.shadows }));
  });
}

/** Samples `activeEmbeddingState` over and over until stopped. */
export function watchEmbeddings(tenantId: string) {
  const samples: DocumentEmbeddingState[][] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      samples.push(await activeEmbeddingState(tenantId));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

export function chunkRows(tenantId: string) {
  return withSystem("test: chunk rows", (tx) => tx.select().from(documentChunks).where(eq(documentChunks.tenantId, tenantId)));
}

export function reembedJobs(tenantId: string) {
  return withSystem("test: re-embed jobs", (tx) =>
    tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.tenantId, tenantId), eq(jobs.kind, "reembed")))
      .orderBy(jobs.createdAt),
  );
}

export function batchRows(tenantId: string) {
  return withSystem("test: embedding batches", (tx) => tx.select().from(embeddingBatches).where(eq(embeddingBatches.tenantId, tenantId)));
}
