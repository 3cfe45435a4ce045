// A whole (non-streaming) completion through every stage.
import type { LanguageModelV3ToolCall } from "@ai-sdk/provider";
import type { ValidationOutcome } from "@/db/schema";
import { costMicroUsd } from "../pricing";
import { countTokens } from "../tokens";
import type { CallContext } from "../types";
import { callOptions, prepareCall } from "./admission";
import { runChain, totalTimeout } from "./provider-chain";
import { hitResult, recordCall, recordFailure, recordHit, toCached } from "./records";
import type { CompletionResult, GatewayRuntime, GenerateRequest } from "./types";

/** How a structured-output caller labels a valid or invalid answer in the quality counts. */
export interface ValidationCheck {
  check: (text: string) => boolean;
  ok: ValidationOutcome | null;
  bad: ValidationOutcome | null;
}

export async function generateCompletion(
  rt: GatewayRuntime,
  ctx: CallContext,
  request: GenerateRequest,
  validation?: ValidationCheck,
): Promise<CompletionResult> {
  const prepared = await prepareCall(rt, ctx, request);
  if (prepared.hit) {
    const result = hitResult(prepared, prepared.hit);
    const outcome = validation ? (validation.check(result.text) ? validation.ok : validation.bad) : null;
    recordHit(rt.meter, rt.config.pricing, ctx, request.role, prepared, prepared.hit, outcome);
    return result;
  }
  try {
    const outcome = await runChain(rt, prepared.chain, totalTimeout(rt), ctx.signal, async (target, signal) =>
      rt.registry.languageModel(target).doGenerate(callOptions(rt, target, request, prepared.maxOutputTokens, signal)),
    );
    const text = outcome.value.content.map((part) => (part.type === "text" ? part.text : "")).join("");
    // Provider-executed calls (none are routed here) would come with their results: keep only calls for the caller.
    const toolCalls = outcome.value.content.filter((part) => part.type === "tool-call" && !part.providerExecuted) as LanguageModelV3ToolCall[];
    const usage = {
      inputTokens: outcome.value.usage.inputTokens.total ?? prepared.estimatedInputTokens,
      outputTokens: outcome.value.usage.outputTokens.total ?? countTokens([text, ...toolCalls.map((call) => call.input)].join(" ")),
    };
    const result: CompletionResult = {
      requestId: prepared.requestId,
      text,
      toolCalls,
      finishReason: outcome.value.finishReason.unified,
      usage,
      provider: outcome.target.provider,
      model: outcome.target.model,
      cacheStatus: ctx.cache?.noCache || !prepared.cacheWrites ? "bypass" : "miss",
      costMicroUsd: costMicroUsd(rt.config.pricing, outcome.target.model, usage),
      fallbackCount: outcome.fallbackCount,
      offline: outcome.target.provider === "offline",
    };
    const valid = validation ? validation.check(text) : true;
    recordCall(rt.meter, ctx, request.role, prepared, {
      provider: result.provider,
      model: result.model,
      status: "ok",
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costMicroUsd: result.costMicroUsd,
      cacheStatus: result.cacheStatus,
      fallbackCount: outcome.fallbackCount,
      attempts: outcome.attempts,
      timeToFirstTokenMs: Math.round(performance.now() - prepared.started),
      validation: validation ? (valid ? validation.ok : validation.bad) : null,
      // Only complete, valid answers are worth replaying.
      cacheWrites:
        prepared.cacheWrites && result.finishReason === "stop" && toolCalls.length === 0 && valid
          ? { ...prepared.cacheWrites, completion: toCached(result) }
          : null,
    });
    return result;
  } catch (error) {
    recordFailure(rt.meter, rt.config.pricing, ctx, request.role, prepared, error);
    throw error;
  }
}
