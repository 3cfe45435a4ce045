// Embeddings through a provider's batch API (OpenAI's Batch API, about half the online price), for
// bulk work such as a tenant-wide re-embedding. Held to the quota like online calls: the whole
// batch's estimate is reserved before anything is uploaded (refused past the hard limit), and the
// actual spend is settled, at the batch price, when its output is collected. The usage event's
// request id is the caller's batch id, so collecting twice (a replayed step) charges once, and a
// process that dies before collecting leaves a reservation the sweep bills under that same id.
import type { ProviderSettings } from "../config";
import { BatchApiError, OpenAIBatchClient, parseEmbeddingOutput, type EmbeddingOutput, type ProviderBatch } from "../batch/openai-batch-client";
import { batchCostMicroUsd } from "../pricing";
import type { CallContext, ModelTarget, Reservation } from "../types";
import { admitCall } from "./admission";
import { recordCall } from "./records";
import type { GatewayRuntime } from "./types";

export { BatchApiError, finishedBatchStatuses, type ProviderBatch } from "../batch/openai-batch-client";

/** How long a batch may take (the completion window) plus margin: its reservation outlives it. */
const BATCH_RESERVATION_TTL_MS = 26 * 3600_000;

export interface BatchRequestItem {
  customId: string;
  text: string;
}

function openAISettings(rt: GatewayRuntime, target: ModelTarget): ProviderSettings | null {
  if (target.provider !== "openai") return null;
  return rt.config.providers.find((p) => p.name === "openai") ?? null;
}

/** True when the target's provider offers a batch API Keel can use (OpenAI). */
export function embeddingBatchSupported(rt: GatewayRuntime, target: ModelTarget): boolean {
  return openAISettings(rt, target) !== null;
}

function clientFor(rt: GatewayRuntime, target: ModelTarget): OpenAIBatchClient {
  const settings = openAISettings(rt, target);
  if (!settings) throw new BatchApiError(`${target.provider} offers no batch API Keel can use.`, 501, true);
  return new OpenAIBatchClient({ apiKey: settings.apiKey, baseURL: settings.baseURL });
}

/**
 * Reserves the batch's estimated spend (at the batch price) for `BATCH_RESERVATION_TTL_MS`. Throws
 * the gateway's quota_exceeded error when the tenant's limit cannot hold it.
 */
export async function reserveEmbeddingBatch(
  rt: GatewayRuntime,
  ctx: CallContext & { requestId: string },
  target: ModelTarget,
  estimatedTokens: number,
): Promise<Reservation | null> {
  const profile = await rt.profile(ctx.tenantId);
  const admission = await admitCall(rt, ctx, {
    profile,
    userId: ctx.userId ?? null,
    exactKey: null,
    semantic: null,
    tokens: estimatedTokens,
    microUsd: batchCostMicroUsd(rt.config.pricing, target.model, estimatedTokens),
    now: new Date(),
    ttlMs: BATCH_RESERVATION_TTL_MS,
    call: { requestId: ctx.requestId, feature: ctx.feature, role: "embedding", provider: target.provider, model: target.model, apiKeyId: null },
  });
  return admission.kind === "admitted" ? admission.reservation : null;
}

/** Uploads the requests and creates the batch, tagged with `metadata` so it can be found again. */
export async function createEmbeddingBatch(
  rt: GatewayRuntime,
  target: ModelTarget,
  items: BatchRequestItem[],
  metadata: Record<string, string>,
): Promise<ProviderBatch & { inputFileId: string }> {
  const client = clientFor(rt, target);
  const body = (text: string) => ({ model: target.model, input: text, dimensions: rt.config.embeddingDimensions, encoding_format: "float" });
  const jsonl = items.map((item) => JSON.stringify({ custom_id: item.customId, method: "POST", url: "/v1/embeddings", body: body(item.text) })).join("\n");
  const inputFileId = await client.uploadRequests(`keel-${metadata.keel_batch_id ?? "batch"}.jsonl`, `${jsonl}\n`);
  const batch = await client.createBatch({ inputFileId, endpoint: "/v1/embeddings", metadata });
  return { ...batch, inputFileId };
}

/** A batch created earlier whose id was not remembered (the process died in between), by metadata. */
export async function findEmbeddingBatch(rt: GatewayRuntime, target: ModelTarget, key: string, value: string): Promise<ProviderBatch | null> {
  const batches = await clientFor(rt, target).recentBatches();
  return batches.find((b) => b.metadata?.[key] === value) ?? null;
}

export function embeddingBatchStatus(rt: GatewayRuntime, target: ModelTarget, providerBatchId: string): Promise<ProviderBatch> {
  return clientFor(rt, target).getBatch(providerBatchId);
}

export function cancelEmbeddingBatch(rt: GatewayRuntime, target: ModelTarget, providerBatchId: string): Promise<ProviderBatch> {
  return clientFor(rt, target).cancelBatch(providerBatchId);
}

/**
 * Reads a finished batch's output and settles its reservation at the batch price for the tokens
 * the provider reports (nothing when there is no output). The usage event is written before this
 * returns, so what was charged is on record before any vector is stored.
 */
export async function collectEmbeddingBatch(
  rt: GatewayRuntime,
  ctx: CallContext & { requestId: string },
  input: { target: ModelTarget; outputFileId: string | null; reservation: Reservation | null; requests: number },
): Promise<EmbeddingOutput> {
  const started = performance.now();
  const output = input.outputFileId
    ? parseEmbeddingOutput(await clientFor(rt, input.target).fileContent(input.outputFileId), rt.config.embeddingDimensions)
    : { vectors: new Map<string, number[]>(), failed: [], tokens: 0 };
  const succeeded = output.vectors.size;
  recordCall(
    rt.meter,
    ctx,
    "embedding",
    { requestId: ctx.requestId, started, reservation: input.reservation },
    {
      provider: input.target.provider,
      model: input.target.model,
      status: succeeded === input.requests ? "ok" : succeeded > 0 ? "partial" : "error",
      errorCode: succeeded === input.requests ? null : "batch_incomplete",
      inputTokens: output.tokens,
      costMicroUsd: batchCostMicroUsd(rt.config.pricing, input.target.model, output.tokens),
      cacheStatus: "bypass",
      attempts: 1,
      priceTier: "batch",
    },
  );
  await rt.meter.flush();
  return output;
}

/** The batch never ran (the API was unavailable, or it was refused): release what was reserved. */
export async function releaseEmbeddingBatch(
  rt: GatewayRuntime,
  ctx: CallContext & { requestId: string },
  target: ModelTarget,
  reservation: Reservation | null,
): Promise<void> {
  recordCall(
    rt.meter,
    ctx,
    "embedding",
    { requestId: ctx.requestId, started: performance.now(), reservation },
    { provider: target.provider, model: target.model, status: "error", errorCode: "batch_not_run", cacheStatus: "bypass", priceTier: "batch" },
  );
  await rt.meter.flush();
}
