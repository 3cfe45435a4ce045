// What each answer says about itself under `providerMetadata.keel`: who answered (and whether a
// fallback or the offline model did), cache hit, tokens and cost. The chat UI shows these, and a
// stream's `finish` part carries them.
import type { LanguageModelV3FinishReason, LanguageModelV3StreamPart, LanguageModelV3Usage } from "@ai-sdk/provider";
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

const unifiedReasons = new Set<string>(["stop", "length", "content-filter", "tool-calls", "error", "other"]);
export const finishReasonOf = (reason: string): LanguageModelV3FinishReason => ({
  unified: unifiedReasons.has(reason) ? (reason as LanguageModelV3FinishReason["unified"]) : "other",
  raw: reason,
});

/** Tokens as billed: a cache hit spent none. */
export const usageOf = (result: CompletionResult): LanguageModelV3Usage => ({
  inputTokens: { total: result.usage.inputTokens, noCache: result.usage.inputTokens, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: result.usage.outputTokens, text: undefined, reasoning: undefined },
});

/** The gateway's own end of a stream: the answer as billed, with its metadata. */
export function finishPart(result: CompletionResult): LanguageModelV3StreamPart {
  return { type: "finish", finishReason: finishReasonOf(result.finishReason), usage: usageOf(result), providerMetadata: { keel: keelMetadata(result) } };
}
