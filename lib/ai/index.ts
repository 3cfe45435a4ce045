// The process-wide gateway, configured from the environment. Everything in Keel that calls a
// model goes through `getGateway()`.
import { gatewayConfigFromEnv } from "./config";
import type { EmbeddingModelV3, LanguageModelV3 } from "@ai-sdk/provider";
import {
  Gateway,
  GatewayEmbeddingModel,
  GatewayLanguageModel,
  generateValidatedObject,
  type GatewayCalls,
  type GatewayEmbedCalls,
  type ObjectRequest,
  type ObjectResult,
} from "./gateway";
import { processSingleton } from "@/core/process-singleton";
import { postSoftLimitWebhook } from "./soft-limit-webhook";
import type { CallContext, LanguageRole } from "./types";

export { Gateway } from "./gateway";
export { readKeelEmbedding, readKeelMetadata } from "./gateway";
export { isGatewayError } from "./errors";
export type { CallContext, LanguageRole } from "./types";

export function getGateway(): Gateway {
  return processSingleton("ai:gateway", () => {
    const gateway = new Gateway(gatewayConfigFromEnv(), { onSoftLimit: postSoftLimitWebhook });
    // Usage an earlier process could not write (database outage, shutdown) is written now.
    void gateway.meter.replaySpilled();
    return gateway;
  });
}

/**
 * The gateway as an AI SDK model for one caller and role: use it with `generateText`,
 * `streamText` and `Output.object`. Each model call (each step of a tool loop) is routed, cached,
 * held to the quota, sent along the provider chain and metered; `providerMetadata.keel` on each
 * result says who answered (`readKeelMetadata`).
 */
export function keelModel(ctx: CallContext, role: LanguageRole, gateway: GatewayCalls = getGateway()): LanguageModelV3 {
  return new GatewayLanguageModel(gateway, ctx, role);
}

/**
 * A zod-validated object from the model behind `role`: the SDK's `generateObject` on the gateway's
 * model, an invalid answer repaired once through the model, pass / repaired / failed metered.
 */
export function generateKeelObject<T>(
  ctx: CallContext,
  role: LanguageRole,
  request: ObjectRequest<T>,
  gateway: GatewayCalls = getGateway(),
): Promise<ObjectResult<T>> {
  return generateValidatedObject(gateway, ctx, role, request);
}

/**
 * The gateway as an AI SDK embedding model for one caller: use it with `embed` and `embedMany`.
 * Each call is routed, held to the quota, sent to the provider (split by its own limit) and
 * metered once; `readKeelEmbedding(result.providerMetadata)` says which model made the vectors.
 */
export function keelEmbeddingModel(ctx: CallContext, gateway: GatewayEmbedCalls = getGateway()): EmbeddingModelV3 {
  return new GatewayEmbeddingModel(gateway, ctx);
}
