// OpenAI's Batch API, as far as Keel uses it: upload a JSONL file of requests (/v1/files), create a
// batch over it (/v1/batches), poll it, find it again by metadata, cancel it, read its output file.
// Plain HTTP through the gateway's transport; every response is validated before use.
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
const batchListSchema = z.object({ data: z.array(batchSchema), has_more: z.boolean().optional() });

/**
 * A Batch API call that failed. `unavailable` says the provider (or the server standing in for it)
 * does not offer the API at all — 404, 501 or no connection — so callers go online.
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
  private readonly baseURL: string;

  constructor(
    private readonly settings: BatchClientSettings,
    private readonly fetchImpl: typeof fetch = providerFetch,
  ) {
    this.baseURL = (settings.baseURL ?? "https://api.openai.com/v1").replace(/\/+$/, "");
  }

  /** Uploads the requests file (purpose "batch"); returns the file id. */
  async uploadRequests(fileName: string, jsonl: string): Promise<string> {
    const boundary = `keel-${crypto.randomUUID()}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbatch\r\n`),
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${fileName}"\r\ncontent-type: application/jsonl\r\n\r\n`),
      Buffer.from(jsonl, "utf8"),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await this.request("POST", "/files", new Uint8Array(body), `multipart/form-data; boundary=${boundary}`);
    return fileSchema.parse(await response.json()).id;
  }

  async createBatch(input: { inputFileId: string; endpoint: "/v1/embeddings"; metadata: Record<string, string> }): Promise<ProviderBatch> {
    const body = JSON.stringify({ input_file_id: input.inputFileId, endpoint: input.endpoint, completion_window: "24h", metadata: input.metadata });
    return batchSchema.parse(await (await this.request("POST", "/batches", body, "application/json")).json());
  }

  async getBatch(batchId: string): Promise<ProviderBatch> {
    return batchSchema.parse(await (await this.request("GET", `/batches/${encodeURIComponent(batchId)}`)).json());
  }

  /** The most recent batches (newest first), to find one whose creation was not remembered. */
  async recentBatches(limit = 100): Promise<ProviderBatch[]> {
    return batchListSchema.parse(await (await this.request("GET", `/batches?limit=${limit}`)).json()).data;
  }

  async cancelBatch(batchId: string): Promise<ProviderBatch> {
    return batchSchema.parse(await (await this.request("POST", `/batches/${encodeURIComponent(batchId)}/cancel`)).json());
  }

  async fileContent(fileId: string): Promise<string> {
    return (await this.request("GET", `/files/${encodeURIComponent(fileId)}/content`)).text();
  }

  private async request(method: string, path: string, body?: string | Uint8Array<ArrayBuffer>, contentType?: string): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseURL}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.settings.apiKey}`, ...(contentType ? { "content-type": contentType } : {}) },
        body,
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new BatchApiError(`The batch API could not be reached (${method} ${path.replace(/\?.*/, "")}).`, 0, true, { cause: error });
    }
    if (response.ok) return response;
    // The provider's own text goes to the logs through `cause`, never to tenants.
    const detail = await response.text().catch(() => "");
    const unavailable = response.status === 404 || response.status === 405 || response.status === 501;
    throw new BatchApiError(`The batch API answered ${response.status} to ${method} ${path.replace(/\?.*/, "")}.`, response.status, unavailable, {
      cause: detail.slice(0, 500),
    });
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
