// Stage 1–3 of a language call: route, cache keys, estimate, then one round trip to Postgres that
// either finds a cached answer or reserves the estimate against the tenant's quota.
import { randomUUID } from "node:crypto";
import type { LanguageModelV3CallOptions } from "@ai-sdk/provider";
import { exactCacheKey, semanticScopeKey } from "../cache";
import { priceOf } from "../pricing";
import { promptCharacters, textMessages, toolCharacters, type TextMessage } from "../prompt-text";
import { admit, type Admission, type AdmitInput } from "../quota";
import { isGatewayError } from "../errors";
import { recordCall } from "./records";
import { countTokens } from "../tokens";
import type { TenantProfile } from "../tenant-profile";
import type { CallContext, ModelTarget } from "../types";
import type { GatewayRuntime, GenerateRequest, Prepared } from "./types";

export async function prepareCall(rt: GatewayRuntime, ctx: CallContext, request: GenerateRequest): Promise<Prepared> {
  const started = performance.now();
  const requestId = ctx.requestId ?? randomUUID();
  const estimatedInputTokens = countTokens(promptCharacters(request.prompt)) + countTokens(toolCharacters(request.tools));
  const profile = await rt.profile(ctx.tenantId);
  const chain = rt.chainForProfile(profile, request.role, estimatedInputTokens);
  const maxOutputTokens = request.maxOutputTokens ?? rt.config.defaultMaxOutputTokens[request.role];
  // The caller's own admission first (rate limits): a refused call costs no embedding or quota work.
  if (!ctx.admission) return lookUpAndReserve(rt, ctx, request, { requestId, started, profile, chain, maxOutputTokens, estimatedInputTokens });
  await ctx.admission.admit(requestId, estimatedInputTokens + maxOutputTokens);
  try {
    return await lookUpAndReserve(rt, ctx, request, { requestId, started, profile, chain, maxOutputTokens, estimatedInputTokens });
  } catch (error) {
    // No provider was called: the call used nothing of what it was admitted for.
    ctx.admission.settle(requestId, 0);
    throw error;
  }
}

/** The cache lookup or, on a miss, the quota reservation: one round trip to Postgres. */
async function lookUpAndReserve(
  rt: GatewayRuntime,
  ctx: CallContext,
  request: GenerateRequest,
  base: Pick<Prepared, "requestId" | "started" | "chain" | "maxOutputTokens" | "estimatedInputTokens"> & { profile: TenantProfile },
): Promise<Prepared> {
  const { requestId, started, profile, chain, maxOutputTokens, estimatedInputTokens } = base;
  // Cacheable: text-only prompts whose private context (if any) is identified by chunk ids. A
  // prompt carrying tool calls or results is not: a tool result is fresh outside data, like
  // retrieved context without ids. Tool definitions are part of the key, so an answer given with
  // one set of tools is never replayed for another; answers that call tools are never stored.
  const messages = textMessages(request.prompt);
  const cacheable = messages !== null && ctx.contextChunkIds !== null;
  const readCache = cacheable && !ctx.cache?.noCache;
  const writeCache = cacheable && !ctx.cache?.noStore;
  const ttlSeconds = ctx.cache?.ttlSeconds ?? rt.config.cache.ttlSeconds;
  const keyInput = {
    role: request.role,
    target: chain[0]!,
    promptVersion: ctx.promptVersion ?? rt.config.promptVersion,
    params: {
      maxOutputTokens,
      temperature: request.temperature,
      topP: request.topP,
      stop: request.stopSequences,
      format: request.responseFormat,
      tools: request.tools,
      toolChoice: request.toolChoice,
      parallelToolCalls: request.parallelToolCalls,
    },
    contextChunkIds: ctx.contextChunkIds ?? undefined,
  };
  const key = cacheable ? exactCacheKey({ ...keyInput, messages: messages! }) : null;

  // Semantic: single-turn questions only, for features with a threshold.
  const threshold = rt.config.cache.semanticThresholds[ctx.feature];
  const question = messages ? singleTurnQuestion(messages) : null;
  let semantic: { scopeKey: string; embedding: number[] } | null = null;
  if (cacheable && threshold !== undefined && question && (readCache || writeCache)) {
    const embedded = await rt.embed({ ...ctx, feature: "semantic-cache", requestId: `${requestId}:semantic-key`, cache: undefined, admission: undefined }, [
      ctx.cacheQuestion ?? question.text,
    ]);
    const embeddingModel = `${embedded.provider}:${embedded.model}`;
    semantic = { scopeKey: semanticScopeKey({ ...keyInput, system: question.system, embeddingModel }), embedding: embedded.embeddings[0]! };
  }

  // Priced at the chain's dearest model, since a fallback may end up serving the call.
  const worstInput = Math.max(...chain.map((t) => priceOf(rt.config.pricing, t.model).input));
  const worstOutput = Math.max(...chain.map((t) => priceOf(rt.config.pricing, t.model).output));
  const estimate = {
    tokens: estimatedInputTokens + maxOutputTokens,
    microUsd: Math.ceil(estimatedInputTokens * worstInput + maxOutputTokens * worstOutput),
  };

  // One round trip: a cache hit spends no quota; a miss reserves before any provider is called.
  const admission = await admitCall(rt, ctx, {
    profile,
    userId: ctx.userId ?? null,
    exactKey: readCache ? key : null,
    semantic: readCache && semantic && threshold !== undefined ? { ...semantic, threshold } : null,
    tokens: estimate.tokens,
    microUsd: estimate.microUsd,
    now: new Date(),
    ttlMs: rt.config.reservationTtlMs,
    charge: spendsAllowance(chain),
    call: { requestId, feature: ctx.feature, role: request.role, provider: chain[0]!.provider, model: chain[0]!.model, apiKeyId: ctx.apiKeyId ?? null },
  });
  const hit = admission.kind === "hit" ? { completion: admission.completion, status: admission.status } : null;
  const reservation = admission.kind === "admitted" ? admission.reservation : null;

  const cacheWrites =
    writeCache && key
      ? { exact: { key, ttlSeconds }, ...(semantic ? { semantic: { scopeKey: semantic.scopeKey, embedding: semantic.embedding, ttlSeconds } } : {}) }
      : null;
  return { requestId, started, chain, maxOutputTokens, estimatedInputTokens, hit, reservation, cacheWrites };
}

/**
 * Whether a call on this chain is held to the plan's allowance: every call is, except one that only
 * the offline model can serve (local and free: trying Keel on it must not use up a month's tokens).
 * A chain that could fall back from a paid provider to the offline model is charged.
 */
export function spendsAllowance(chain: readonly ModelTarget[]): boolean {
  return chain.some((target) => target.provider !== "offline");
}

/**
 * admit(); and when the database failed mid-admission, a usage record that releases whatever it
 * may have reserved once the database is back (the meter keeps it until then), so the expiry
 * sweep does not later bill a call that never ran.
 */
export async function admitCall(rt: GatewayRuntime, ctx: CallContext, input: AdmitInput): Promise<Admission> {
  try {
    return await admit(input, { db: rt.db });
  } catch (error) {
    if (isGatewayError(error) && error.pendingReservation) {
      const { call } = input;
      recordCall(
        rt.meter,
        ctx,
        call.role,
        { requestId: call.requestId, started: performance.now(), reservation: error.pendingReservation },
        {
          provider: call.provider,
          model: call.model,
          status: "error",
          errorCode: error.code,
        },
      );
    }
    throw error;
  }
}

export function callOptions(
  rt: GatewayRuntime,
  target: ModelTarget,
  request: GenerateRequest,
  maxOutputTokens: number,
  abortSignal: AbortSignal,
): LanguageModelV3CallOptions {
  return {
    prompt: request.prompt,
    maxOutputTokens,
    temperature: request.temperature,
    topP: request.topP,
    stopSequences: request.stopSequences,
    responseFormat: request.responseFormat,
    tools: request.tools,
    toolChoice: request.toolChoice,
    providerOptions: rt.registry.languageOptions(target, request),
    abortSignal,
  };
}

/** Single-turn prompts (optional system + one user message) are the ones a similar question can answer. */
function singleTurnQuestion(messages: TextMessage[]): { system: string; text: string } | null {
  const rest = messages.filter((m) => m.role !== "system");
  if (rest.length !== 1 || rest[0]!.role !== "user") return null;
  return {
    system: messages
      .filter((m) => m.role === "system")
      .map((m) => m.text)
      .join("\n"),
    text: rest[0]!.text,
  };
}
