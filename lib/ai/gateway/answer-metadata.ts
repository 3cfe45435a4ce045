// What each answer says about itself under `providerMetadata.keel`: who answered (and whether a
// fallback or the offline model did), cache hit, tokens and cost. The chat UI shows these.
import { z } from "zod";
import { cacheStatuses } from "@/db/schema";
import { providerNames } from "../types";
import type { CompletionResult } from "./types";

const keelMetadataSchema = z.object({
  requestId: z.string(),
  provider: z.enum(providerNames),
  model: z.string(),
  /** A later provider in the chain answered because earlier ones failed or were paused. */
  fallback: z.boolean(),
  fallbackCount: z.number().int().nonnegative(),
  offline: z.boolean(),
  cacheStatus: z.enum(cacheStatuses),
  cacheHit: z.boolean(),
  /** As billed: a cache hit spends none. */
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costMicroUsd: z.number().int().nonnegative(),
  finishReason: z.string(),
});
export type KeelAnswerMetadata = z.infer<typeof keelMetadataSchema>;

export function keelMetadata(result: CompletionResult): KeelAnswerMetadata {
  return {
    requestId: result.requestId,
    provider: result.provider,
    model: result.model,
    fallback: result.fallbackCount > 0,
    fallbackCount: result.fallbackCount,
    offline: result.offline,
    cacheStatus: result.cacheStatus,
    cacheHit: result.cacheStatus === "exact" || result.cacheStatus === "semantic",
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    costMicroUsd: result.costMicroUsd,
    finishReason: result.finishReason,
  };
}

/** Reads it back from an SDK result's `providerMetadata` (null when the answer did not come through Keel). */
export function readKeelMetadata(providerMetadata: unknown): KeelAnswerMetadata | null {
  const parsed = z.object({ keel: keelMetadataSchema }).safeParse(providerMetadata);
  return parsed.success ? parsed.data.keel : null;
}
