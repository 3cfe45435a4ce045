// OpenAI's Batch API, as far as Keel uses it: upload a JSONL file of requests (/v1/files), create a
// batch over it (/v1/batches), poll it, find it again by metadata, cancel it, read its output file.
// Calls go through the official `openai` SDK over the gateway's transport (proxy and connect
// timeout included); every answer is still validated before use, as it is the provider's word.
import OpenAI, { APIConnectionError, APIError, toFile } from "openai";
import { z } from "zod";
import { providerFetch } from "../http-transport";

const batchStatuses = ["validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"] as const;
export type BatchStatus = (typeof batchStatuses)[number];
/** The provider is done with the batch: its output (if any) will not grow. */
export const finishedBatchStatuses: readonly BatchStatus[] = ["failed", "completed", "expired", "cancelled"];

const batchSchema = z.object({
  id: z.string().min(1),
  status: z.enum(batchStatuses),
  output_file_id: z.string().nullish(),
  error_file_id: z.string().nullish(),
  request_counts: z.object({ total: z.number(), completed: z.number(), failed: z.number() }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
export type ProviderBatch = z.infer<typeof batchSchema>;

const fileSchema = z.object({ id: z.string().min(1) });

/**
 * A Batch API call that failed. `unavailable` says the provider (or the server standing in for it)
 * does not offer the API at all — 404, 405, 501 or no connection — so callers go online.
 */
export class BatchApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly unavailable: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = "BatchApiError";
  }
}

export interface BatchClientSettings {
  apiKey: string;
  /** Defaults to https://api.openai.com/v1. */
  baseURL?: string;
}

export class OpenAIBatchClient {
  private readonly openai: OpenAI;

  constructor(settings: BatchClientSettings, fetchImpl: typeof fetch = providerFetch) {
    this.openai = new OpenAI({
      apiKey: settings.apiKey,
      // Explicit, so that OPENAI_BASE_URL, OPENAI_ORG_ID or OPENAI_PROJECT_ID in the environment do
      // not point batches elsewhere than the gateway's own calls.
      baseURL: settings.baseURL ?? "https://api.openai.com/v1",
      organization: null,
      project: null,
      fetch: fetchImpl,
      timeout: 120_000,
      // A failed call is reported at once: the re-embedding job decides (it polls again later, or
      // goes online), so retries here would only delay that.
      maxRetries: 0,
    });
  }

  /** Uploads the requests file (purpose "batch"); returns the file id. */
  async uploadRequests(fileName: string, jsonl: string): Promise<string> {
    const file = await toFile(Buffer.from(jsonl, "utf8"), fileName, { type: "application/jsonl" });
    return fileSchema.parse(await this.call("POST /files", () => this.openai.files.create({ file, purpose: "batch" }))).id;
  }

  async createBatch(input: { inputFileId: string; endpoint: "/v1/embeddings"; metadata: Record<string, string> }): Promise<ProviderBatch> {
    const created = await this.call("POST /batches", () =>
      this.openai.batches.create({ input_file_id: input.inputFileId, endpoint: input.endpoint, completion_window: "24h", metadata: input.metadata }),
    );
    return batchSchema.parse(created);
  }

  async getBatch(batchId: string): Promise<ProviderBatch> {
    return batchSchema.parse(await this.call(`GET /batches/${batchId}`, () => this.openai.batches.retrieve(batchId)));
  }

  /** The most recent batches (newest first), to find one whose creation was not remembered. */
  async recentBatches(limit = 100): Promise<ProviderBatch[]> {
    const page = await this.call("GET /batches", () => this.openai.batches.list({ limit }));
    return z.array(batchSchema).parse(page.data);
  }

  async cancelBatch(batchId: string): Promise<ProviderBatch> {
    return batchSchema.parse(await this.call(`POST /batches/${batchId}/cancel`, () => this.openai.batches.cancel(batchId)));
  }

  async fileContent(fileId: string): Promise<string> {
    const response = await this.call(`GET /files/${fileId}/content`, () => this.openai.files.content(fileId));
    return response.text();
  }

  /** One SDK call, its failures told apart: the API missing (go online) or a refusal. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof APIConnectionError) {
        throw new BatchApiError(`The batch API could not be reached (${what}).`, 0, true, { cause: error });
      }
      if (!(error instanceof APIError) || error.status === undefined) throw error;
      // The provider's own text goes to the logs through `cause`, never to tenants.
      const unavailable = error.status === 404 || error.status === 405 || error.status === 501;
      throw new BatchApiError(`The batch API answered ${error.status} to ${what}.`, error.status, unavailable, { cause: error });
    }
  }
}

/** One line of an embeddings batch's output file, validated; anything else counts as a failed line. */
const outputLineSchema = z.object({
  custom_id: z.string(),
  response: z
    .object({
      status_code: z.number(),
      body: z.unknown(),
    })
    .nullish(),
  error: z.unknown().nullish(),
});
const embeddingsBodySchema = z.object({
  data: z.array(z.object({ index: z.number().int(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number().int().min(0) }).optional(),
});

export interface EmbeddingOutput {
  /** Vectors by custom id (one input per request line). */
  vectors: Map<string, number[]>;
  /** Custom ids whose line failed or did not parse. */
  failed: string[];
  /** Input tokens the provider reports for the lines that succeeded. */
  tokens: number;
}

export function parseEmbeddingOutput(jsonl: string, dimensions: number): EmbeddingOutput {
  const vectors = new Map<string, number[]>();
  const failed: string[] = [];
  let tokens = 0;
  for (const line of jsonl.split("\n")) {
    if (!line.trim()) continue;
    let parsed: z.infer<typeof outputLineSchema>;
    try {
      parsed = outputLineSchema.parse(JSON.parse(line));
    } catch {
      continue;
    }
    const body = parsed.response && parsed.response.status_code === 200 ? embeddingsBodySchema.safeParse(parsed.response.body) : null;
    const vector = body?.success ? body.data.data[0]?.embedding : undefined;
    if (!body?.success || !vector || vector.length !== dimensions || !vector.every(Number.isFinite)) {
      failed.push(parsed.custom_id);
      continue;
    }
    vectors.set(parsed.custom_id, vector);
    tokens += body.data.usage?.prompt_tokens ?? 0;
  }
  return { vectors, failed, tokens };
}
