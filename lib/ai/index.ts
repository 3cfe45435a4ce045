// The process-wide gateway, configured from the environment. Everything in Keel that calls a
// model goes through `getGateway()`.
import { gatewayConfigFromEnv } from "./config";
import { Gateway } from "./gateway";
import { processSingleton } from "@/lib/process-singleton";
import { postSoftLimitWebhook } from "./soft-limit-webhook";

export { Gateway } from "./gateway";
export type { CompletionResult, CompletionStream, EmbeddingResult, GatewayStreamPart, GenerateRequest } from "./gateway";
export { GatewayError, isGatewayError } from "./errors";
export type { CallContext, LanguageRole, ModelRole } from "./types";

export function getGateway(): Gateway {
  return processSingleton("ai:gateway", () => {
    const gateway = new Gateway(gatewayConfigFromEnv(), { onSoftLimit: postSoftLimitWebhook });
    // Usage an earlier process could not write (database outage, shutdown) is written now.
    void gateway.meter.replaySpilled();
    return gateway;
  });
}
