// Embeddings through the gateway: routed (one model, no cross-provider fallback: vectors of two
// models share no space), reserved against the quota, retried, metered.
import { randomUUID } from "node:crypto";
import { costMicroUsd, priceOf } from "../pricing";
import { countTokens } from "../tokens";
import type { CallContext } from "../types";
import { admitCall, spendsAllowance } from "./admission";
import { runChain, totalTimeout } from "./provider-chain";
import { recordCall, recordFailure } from "./records";
import type { EmbeddingResult, GatewayRuntime } from "./types";

export async function embedValues(rt: GatewayRuntime, ctx: CallContext, values: string[]): Promise<EmbeddingResult> {
  const started = performance.now();
  const requestId = ctx.requestId ?? randomUUID();
  const profile = await rt.profile(ctx.tenantId);
  const chain = rt.chainForProfile(profile, "embedding", 0);
  const tokens = values.reduce((sum, value) => sum + countTokens(value), 0);
  if (ctx.admission) await ctx.admission.admit(requestId, tokens);
  const price = priceOf(rt.config.pricing, chain[0]!.model);
  const admission = await admitCall(rt, ctx, {
    profile,
    userId: ctx.userId ?? null,
    exactKey: null,
    semantic: null,
    tokens,
    microUsd: Math.ceil(tokens * price.input),
    now: new Date(),
    ttlMs: rt.config.reservationTtlMs,
    charge: spendsAllowance(chain),
    call: { requestId, feature: ctx.feature, role: "embedding", provider: chain[0]!.provider, model: chain[0]!.model, apiKeyId: ctx.apiKeyId ?? null },
  }).catch((error: unknown) => {
    ctx.admission?.settle(requestId, 0);
    throw error;
  });
  const reservation = admission.kind === "admitted" ? admission.reservation : null;
  const prepared = { requestId, started, reservation, chain, estimatedInputTokens: tokens };
  try {
    const outcome = await runChain(rt, chain, totalTimeout(rt), ctx.signal, async (target, signal) => {
      const model = rt.registry.embeddingModel(target);
      const limit = Math.max(1, (await model.maxEmbeddingsPerCall) ?? values.length);
      const embeddings: number[][] = [];
      let reported = 0;
      for (let i = 0; i < values.length; i += limit) {
        const batch = values.slice(i, i + limit);
        const result = await model.doEmbed({ values: batch, abortSignal: signal, providerOptions: rt.registry.embeddingOptions(target) });
        embeddings.push(...result.embeddings.map((e) => Array.from(e)));
        reported += result.usage?.tokens ?? batch.reduce((sum, value) => sum + countTokens(value), 0);
      }
      return { embeddings, tokens: reported };
    });
    const usage = { inputTokens: outcome.value.tokens, outputTokens: 0 };
    recordCall(rt.meter, ctx, "embedding", prepared, {
      provider: outcome.target.provider,
      model: outcome.target.model,
      status: "ok",
      inputTokens: usage.inputTokens,
      costMicroUsd: costMicroUsd(rt.config.pricing, outcome.target.model, usage),
      cacheStatus: "bypass",
      fallbackCount: outcome.fallbackCount,
      attempts: outcome.attempts,
    });
    return {
      requestId,
      embeddings: outcome.value.embeddings,
      usage: { tokens: usage.inputTokens },
      provider: outcome.target.provider,
      model: outcome.target.model,
      offline: outcome.target.provider === "offline",
    };
  } catch (error) {
    recordFailure(rt.meter, rt.config.pricing, ctx, "embedding", prepared, error);
    throw error;
  }
}
