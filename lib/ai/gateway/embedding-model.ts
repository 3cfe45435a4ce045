// The gateway as an AI SDK 6 embedding model: product code calls the SDK's own `embed` and
// `embedMany` on `keelEmbeddingModel(ctx)`, and every call the SDK makes runs the gateway's
// embedding path (./embed.ts): route, quota reservation, provider with retries, metering.
import type { EmbeddingModelV3, EmbeddingModelV3CallOptions, EmbeddingModelV3Result } from "@ai-sdk/provider";
import { z } from "zod";
import type { CallContext } from "../types";
import { providerNames } from "../types";
import type { EmbeddingResult } from "./types";

/** What the model needs of the gateway (the `Gateway` facade, or a test's own instance). */
export interface GatewayEmbedCalls {
  embed(ctx: CallContext, values: string[]): Promise<EmbeddingResult>;
}

const keelEmbeddingSchema = z.object({
  /** The key of the call's usage event. */
  requestId: z.string(),
  provider: z.enum(providerNames),
  /** The model the vectors came from: vectors of two models share no space. */
  model: z.string(),
  offline: z.boolean(),
});
type KeelEmbeddingMetadata = z.infer<typeof keelEmbeddingSchema>;

export class GatewayEmbeddingModel implements EmbeddingModelV3 {
  readonly specificationVersion = "v3" as const;
  readonly provider = "keel";
  readonly modelId = "keel-embedding";
  // No limit of its own: the gateway splits a call by its provider's limit and meters it once, so
  // `embedMany` hands it every value in one call (one usage event, as a direct gateway call).
  readonly maxEmbeddingsPerCall = undefined;
  readonly supportsParallelCalls = true;
  private calls = 0;

  constructor(
    private readonly gateway: GatewayEmbedCalls,
    private readonly ctx: CallContext,
  ) {}

  async doEmbed(options: EmbeddingModelV3CallOptions): Promise<EmbeddingModelV3Result> {
    const n = this.calls++;
    // Each call is metered under its own id: two calls must not collapse into one record.
    const requestId = this.ctx.requestId && n > 0 ? `${this.ctx.requestId}:${n}` : this.ctx.requestId;
    const signals = [this.ctx.signal, options.abortSignal].filter((s): s is AbortSignal => s !== undefined);
    const result = await this.gateway.embed({ ...this.ctx, requestId, signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] }, options.values);
    const keel: KeelEmbeddingMetadata = { requestId: result.requestId, provider: result.provider, model: result.model, offline: result.offline };
    return { embeddings: result.embeddings, usage: { tokens: result.usage.tokens }, providerMetadata: { keel }, warnings: [] };
  }
}

/** Who embedded, from an `embed` / `embedMany` result's `providerMetadata`; throws when Keel did not. */
export function readKeelEmbedding(providerMetadata: unknown): KeelEmbeddingMetadata {
  return z.object({ keel: keelEmbeddingSchema }).parse(providerMetadata).keel;
}
