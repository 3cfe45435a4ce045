// Stage 5 of every call: what the meter is told. One usage event per call, whatever its outcome.
import type { CachedCompletion, ValidationOutcome } from "@/db/schema";
import { isGatewayError } from "../errors";
import type { CallRecord, Meter } from "../meter";
import { costMicroUsd, type PricingTable } from "../pricing";
import type { CallContext, ModelRole, ProviderName } from "../types";
import type { CompletionResult, Prepared } from "./types";

type Recorded = Pick<Prepared, "requestId" | "started" | "reservation">;

export function recordCall(
  meter: Meter,
  ctx: CallContext,
  role: ModelRole,
  prepared: Recorded,
  fields: Partial<CallRecord> & Pick<CallRecord, "provider" | "model" | "status">,
): void {
  ctx.admission?.settle(prepared.requestId, (fields.inputTokens ?? 0) + (fields.outputTokens ?? 0));
  meter.record({
    tenantId: ctx.tenantId,
    requestId: prepared.requestId,
    userId: ctx.userId ?? null,
    apiKeyId: ctx.apiKeyId ?? null,
    feature: ctx.feature,
    role,
    inputTokens: 0,
    outputTokens: 0,
    costMicroUsd: 0,
    savedMicroUsd: 0,
    latencyMs: Math.round(performance.now() - prepared.started),
    timeToFirstTokenMs: null,
    cacheStatus: "miss",
    fallbackCount: 0,
    attempts: 0,
    errorCode: null,
    validation: null,
    reservation: prepared.reservation,
    cacheWrites: null,
    contextChunkIds: ctx.contextChunkIds ?? null,
    ...fields,
  });
}

/**
 * A call that ended without an answer. Once a request has been sent, the provider has processed
 * its prompt and bills for it even if the caller went away: such a call is charged at least its
 * estimated input, never recorded as free.
 */
export function recordFailure(
  meter: Meter,
  pricing: PricingTable,
  ctx: CallContext,
  role: ModelRole,
  prepared: Recorded & Pick<Prepared, "chain" | "estimatedInputTokens">,
  error: unknown,
): void {
  const sentTo = isGatewayError(error) && error.code === "cancelled" ? error.sentTo : undefined;
  if (sentTo) {
    const usage = { inputTokens: prepared.estimatedInputTokens, outputTokens: 0 };
    recordCall(meter, ctx, role, prepared, {
      provider: sentTo.provider,
      model: sentTo.model,
      status: "partial",
      errorCode: "client_cancelled",
      inputTokens: usage.inputTokens,
      costMicroUsd: costMicroUsd(pricing, sentTo.model, usage),
    });
    return;
  }
  recordCall(meter, ctx, role, prepared, {
    provider: prepared.chain[0]!.provider,
    model: prepared.chain[0]!.model,
    status: "error",
    errorCode: isGatewayError(error) ? error.code : "internal",
  });
}

/** A cached answer replayed: no tokens spent, the cost it saved recorded. */
export function hitResult(prepared: Prepared, hit: NonNullable<Prepared["hit"]>): CompletionResult {
  return {
    requestId: prepared.requestId,
    text: hit.completion.text,
    toolCalls: [],
    finishReason: hit.completion.finishReason,
    usage: { inputTokens: 0, outputTokens: 0 },
    provider: hit.completion.provider as ProviderName,
    model: hit.completion.model,
    cacheStatus: hit.status,
    costMicroUsd: 0,
    fallbackCount: 0,
    offline: hit.completion.provider === "offline",
  };
}

export function recordHit(
  meter: Meter,
  pricing: PricingTable,
  ctx: CallContext,
  role: ModelRole,
  prepared: Prepared,
  hit: NonNullable<Prepared["hit"]>,
  validation: ValidationOutcome | null,
): void {
  const saved = costMicroUsd(pricing, hit.completion.model, { inputTokens: hit.completion.inputTokens, outputTokens: hit.completion.outputTokens });
  recordCall(meter, ctx, role, prepared, {
    provider: "cache",
    model: hit.completion.model,
    status: "ok",
    cacheStatus: hit.status,
    savedMicroUsd: saved,
    timeToFirstTokenMs: Math.round(performance.now() - prepared.started),
    validation,
  });
}

export function toCached(result: CompletionResult): CachedCompletion {
  return {
    text: result.text,
    finishReason: result.finishReason,
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    provider: result.provider,
    model: result.model,
  };
}
