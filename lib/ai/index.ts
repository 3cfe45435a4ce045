// The process-wide gateway, configured from the environment. Everything in Keel that calls a
// model goes through `getGateway()`.
import { gatewayConfigFromEnv } from "./config";
import { Gateway } from "./gateway";
import { postSoftLimitWebhook } from "./soft-limit-webhook";

export { Gateway } from "./gateway";
export type { CompletionResult, CompletionStream, EmbeddingResult, GatewayStreamPart, GenerateRequest } from "./gateway";
export { GatewayError, isGatewayError } from "./errors";
export type { CallContext, LanguageRole, ModelRole } from "./types";

// On globalThis: Next.js may load this module more than once per process (see db/client.ts).
const holder = globalThis as typeof globalThis & { __keelGateway?: Gateway };

export function getGateway(): Gateway {
  holder.__keelGateway ??= new Gateway(gatewayConfigFromEnv(), { onSoftLimit: postSoftLimitWebhook });
  return holder.__keelGateway;
}
