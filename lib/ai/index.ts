// The process-wide gateway, configured from the environment. Everything in Keel that calls a
// model goes through `getGateway()`.
import { gatewayConfigFromEnv } from "./config";
import type { LanguageModelV3 } from "@ai-sdk/provider";
import { Gateway, GatewayLanguageModel, type GatewayCalls } from "./gateway";
import { processSingleton } from "@/core/process-singleton";
import { postSoftLimitWebhook } from "./soft-limit-webhook";
import type { CallContext, LanguageRole } from "./types";

export { Gateway } from "./gateway";
export { readKeelMetadata } from "./gateway";
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
