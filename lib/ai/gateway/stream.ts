// A streamed completion through every stage. Failures before the first token fall back to the next
// provider transparently; after it, the stream ends with an `error` part and the partial answer is
// metered.
import type { LanguageModelV3StreamPart, LanguageModelV3ToolCall } from "@ai-sdk/provider";
import { timeoutsFor } from "../config";
import { GatewayError } from "../errors";
import { costMicroUsd } from "../pricing";
import { classifyFailure, TimeoutFailure } from "../retry";
import { countTokens } from "../tokens";
import type { CallContext } from "../types";
import { callOptions, prepareCall } from "./admission";
import { firstTokenTimeout, linkedController, runChain, type Attempted } from "./provider-chain";
import { hitResult, recordCall, recordFailure, recordHit, toCached } from "./records";
import type { CompletionResult, CompletionStream, GatewayRuntime, GatewayStreamPart, GenerateRequest, Prepared } from "./types";

/**
 * Resolves once the first token is in hand (or the answer came from the cache), so callers can
 * still answer with a proper HTTP error when every provider fails. Failures before the first
 * token fall back transparently; after it, the stream ends with an `error` part.
 */
export async function streamCompletion(rt: GatewayRuntime, ctx: CallContext, request: GenerateRequest): Promise<CompletionStream> {
  const prepared = await prepareCall(rt, ctx, request);
  if (prepared.hit) return replayHit(rt, ctx, request, prepared, prepared.hit);

  const live = linkedController(ctx.signal);
  let opened: Attempted<{
    reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart>;
    buffered: LanguageModelV3StreamPart[];
    controller: AbortController;
  }>;
  try {
    opened = await runChain(rt, prepared.chain, firstTokenTimeout(rt), live.signal, async (target, signal) => {
      // Each attempt has its own controller: the first-token timer aborts only this attempt,
      // while `live` lets the consumer cancel whichever attempt won.
      const attemptController = linkedController(signal);
      live.signal.addEventListener("abort", () => attemptController.abort(live.signal.reason), { once: true });
      const { stream } = await rt.registry.languageModel(target).doStream(callOptions(rt, target, request, prepared.maxOutputTokens, attemptController.signal));
      const reader = stream.getReader();
      const buffered: LanguageModelV3StreamPart[] = [];
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value.type === "error") throw value.error;
          buffered.push(value);
          if (isFirstToken(value)) break;
        }
      } catch (error) {
        attemptController.abort();
        reader.cancel().catch(() => {});
        throw error;
      }
      return { reader, buffered, controller: attemptController };
    });
  } catch (error) {
    recordFailure(rt.meter, rt.config.pricing, ctx, request.role, prepared, error);
    throw error;
  }

  const timeToFirstTokenMs = Math.round(performance.now() - prepared.started);
  const { target, fallbackCount, attempts } = opened;
  const { reader, buffered, controller } = opened.value;
  const idleMs = timeoutsFor(rt.config, target.provider).idleMs;
  let text = "";
  const toolCalls: LanguageModelV3ToolCall[] = [];
  let usage: { input?: number; output?: number } = {};
  let finishReason = "stop";
  let settled = false;

  const summary = (status: "ok" | "partial", errorCode: string | null): CompletionResult => {
    const delivered = [text, ...toolCalls.map((call) => call.input)].join(" ");
    const tokens = { inputTokens: usage.input ?? prepared.estimatedInputTokens, outputTokens: usage.output ?? countTokens(delivered) };
    const result: CompletionResult = {
      requestId: prepared.requestId,
      text,
      toolCalls: [...toolCalls],
      finishReason: status === "ok" ? finishReason : "error",
      usage: tokens,
      provider: target.provider,
      model: target.model,
      cacheStatus: ctx.cache?.noCache || !prepared.cacheWrites ? "bypass" : "miss",
      costMicroUsd: costMicroUsd(rt.config.pricing, target.model, tokens),
      fallbackCount,
      offline: target.provider === "offline",
    };
    if (!settled) {
      settled = true;
      recordCall(rt.meter, ctx, request.role, prepared, {
        provider: target.provider,
        model: target.model,
        status,
        errorCode,
        inputTokens: tokens.inputTokens,
        outputTokens: tokens.outputTokens,
        costMicroUsd: result.costMicroUsd,
        cacheStatus: result.cacheStatus,
        fallbackCount,
        attempts,
        timeToFirstTokenMs,
        cacheWrites:
          status === "ok" && prepared.cacheWrites && finishReason === "stop" && toolCalls.length === 0
            ? { ...prepared.cacheWrites, completion: toCached(result) }
            : null,
      });
    }
    return result;
  };

  /** Takes in a provider part; returns what the consumer should see of it, if anything. */
  const absorb = (part: LanguageModelV3StreamPart): GatewayStreamPart | null => {
    switch (part.type) {
      case "text-delta":
        text += part.delta;
        return part.delta ? { type: "text-delta", text: part.delta } : null;
      case "tool-input-start":
        return part.providerExecuted ? null : { type: "tool-input-start", id: part.id, toolName: part.toolName };
      case "tool-input-delta":
        return { type: "tool-input-delta", id: part.id, delta: part.delta };
      case "tool-input-end":
        return { type: "tool-input-end", id: part.id };
      case "tool-call":
        if (part.providerExecuted) return null;
        toolCalls.push(part);
        return { type: "tool-call", toolCall: part };
      case "finish":
        usage = { input: part.usage.inputTokens.total, output: part.usage.outputTokens.total };
        finishReason = part.finishReason.unified;
        return null;
      case "error":
        throw part.error;
      default:
        return null;
    }
  };

  const parts = new ReadableStream<GatewayStreamPart>({
    start: (sink) => {
      for (const part of buffered) {
        const forwarded = absorb(part);
        if (forwarded) sink.enqueue(forwarded);
      }
    },
    pull: async (sink) => {
      // Read until something can be handed on: a pull that enqueues nothing is not called again.
      for (;;) {
        let idle: ReturnType<typeof setTimeout> | undefined;
        try {
          const next = await Promise.race([
            reader.read(),
            new Promise<never>((_, reject) => {
              idle = setTimeout(() => reject(new TimeoutFailure("idle", idleMs)), idleMs);
            }),
          ]);
          if (next.done) {
            sink.enqueue({ type: "finish", result: summary("ok", null) });
            sink.close();
            return;
          }
          const forwarded = absorb(next.value);
          if (forwarded) {
            sink.enqueue(forwarded);
            return;
          }
        } catch (error) {
          controller.abort();
          reader.cancel().catch(() => {});
          const failure = classifyFailure(error);
          const gatewayError = new GatewayError(
            "stream_interrupted",
            `The AI provider ${target.provider} stopped mid-answer (it ${failure.summary}). The partial answer was kept and billed for what was delivered.`,
            { cause: error },
          );
          sink.enqueue({ type: "error", error: gatewayError, partial: summary("partial", "stream_interrupted") });
          sink.close();
          return;
        } finally {
          clearTimeout(idle);
        }
      }
    },
    cancel: () => {
      // The consumer went away (browser closed, client disconnected): stop the provider, bill what was sent.
      controller.abort();
      reader.cancel().catch(() => {});
      summary("partial", "client_cancelled");
    },
  });

  return {
    requestId: prepared.requestId,
    provider: target.provider,
    model: target.model,
    cacheStatus: "miss",
    offline: target.provider === "offline",
    timeToFirstTokenMs,
    parts,
  };
}

/** Once this much has reached the consumer, falling back to another provider would repeat or contradict it. */
function isFirstToken(part: LanguageModelV3StreamPart): boolean {
  return (part.type === "text-delta" && part.delta.length > 0) || part.type === "tool-input-start" || part.type === "tool-call" || part.type === "finish";
}

function replayHit(rt: GatewayRuntime, ctx: CallContext, request: GenerateRequest, prepared: Prepared, hit: NonNullable<Prepared["hit"]>): CompletionStream {
  const result = hitResult(prepared, hit);
  recordHit(rt.meter, rt.config.pricing, ctx, request.role, prepared, hit, null);
  const pieces = result.text.match(/\S+\s*|\s+/g) ?? [];
  const parts = new ReadableStream<GatewayStreamPart>({
    start(sink) {
      for (const piece of pieces) sink.enqueue({ type: "text-delta", text: piece });
      sink.enqueue({ type: "finish", result });
      sink.close();
    },
  });
  return {
    requestId: prepared.requestId,
    provider: result.provider,
    model: result.model,
    cacheStatus: hit.status,
    offline: result.offline,
    timeToFirstTokenMs: Math.round(performance.now() - prepared.started),
    parts,
  };
}
