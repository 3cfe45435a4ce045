// A streamed completion through every stage, in the AI SDK's own stream parts (V3): the provider's
// parts are handed on as they are, and the gateway's `finish` part carries the answer as billed
// (usage, and who answered under `providerMetadata.keel`). Failures before the first token fall
// back to the next provider transparently; after it, the stream ends with an `error` part and a
// `finish` part for the partial answer, which is metered.
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
import { finishPart } from "./answer-metadata";
import type { CompletionResult, CompletionStream, GatewayRuntime, GenerateRequest, Prepared } from "./types";

/**
 * Resolves once the first token is in hand (or the answer came from the cache), so callers can
 * still answer with a proper HTTP error when every provider fails. Failures before the first
 * token fall back transparently; after it, the stream ends with an `error` part, then `finish`.
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

  // Text blocks are handed on once they carry text (a provider's empty block is never shown), and
  // an interrupted answer closes the blocks it opened.
  const unopened = new Map<string, LanguageModelV3StreamPart>();
  const open = new Set<string>();
  const closeOpenText = (sink: ReadableStreamDefaultController<LanguageModelV3StreamPart>) => {
    for (const id of open) sink.enqueue({ type: "text-end", id });
    open.clear();
  };

  /**
   * Takes in a provider part and hands it on unchanged, or not at all (what the consumer should not
   * see, and the provider's finish: the gateway sends its own, as billed). True when it handed on.
   */
  const forward = (part: LanguageModelV3StreamPart, sink: ReadableStreamDefaultController<LanguageModelV3StreamPart>): boolean => {
    switch (part.type) {
      case "text-delta":
        if (!part.delta) return false;
        text += part.delta;
        if (!open.has(part.id)) {
          open.add(part.id);
          sink.enqueue(unopened.get(part.id) ?? { type: "text-start", id: part.id });
          unopened.delete(part.id);
        }
        sink.enqueue(part);
        return true;
      case "text-start":
        unopened.set(part.id, part);
        return false;
      case "text-end":
        unopened.delete(part.id);
        if (!open.delete(part.id)) return false;
        sink.enqueue(part);
        return true;
      case "tool-call":
        if (part.providerExecuted) return false;
        toolCalls.push(part);
        sink.enqueue(part);
        return true;
      case "tool-input-start":
        if (part.providerExecuted) return false;
        sink.enqueue(part);
        return true;
      case "tool-input-delta":
      case "tool-input-end":
        sink.enqueue(part);
        return true;
      case "finish":
        usage = { input: part.usage.inputTokens.total, output: part.usage.outputTokens.total };
        finishReason = part.finishReason.unified;
        return false;
      case "error":
        throw part.error;
      default:
        // The provider's stream-start and response metadata (the model sends its own), reasoning,
        // sources, files and raw chunks: neither shown nor metered.
        return false;
    }
  };

  // The idle bound: one watchdog while reads are pending, instead of a timer and a promise race per
  // part (at 50 streams of small chunks those were a measurable share of a worker's CPU). It counts
  // only while a read waits, so a consumer slow to pull never makes the provider look idle, and it
  // stops itself once no read is pending, so an abandoned stream leaves no timer behind.
  let readSince: number | null = null;
  let idleFailure: TimeoutFailure | null = null;
  let watchdog: ReturnType<typeof setInterval> | undefined;
  const watch = () => {
    if (readSince === null) return stopWatchdog();
    if (idleFailure || performance.now() - readSince < idleMs) return;
    idleFailure = new TimeoutFailure("idle", idleMs);
    controller.abort(idleFailure);
    // A provider that ignores the abort still ends the pending read.
    reader.cancel(idleFailure).catch(() => {});
  };
  const startRead = () => {
    readSince = performance.now();
    watchdog ??= setInterval(watch, Math.max(25, Math.ceil(idleMs / 8)));
  };
  function stopWatchdog() {
    clearInterval(watchdog);
    watchdog = undefined;
  }

  const parts = new ReadableStream<LanguageModelV3StreamPart>({
    start: (sink) => {
      for (const part of buffered) forward(part, sink);
    },
    pull: async (sink) => {
      // Read until something can be handed on: a pull that enqueues nothing is not called again.
      for (;;) {
        try {
          startRead();
          const next = await reader.read();
          readSince = null;
          if (idleFailure) throw idleFailure;
          if (next.done) {
            stopWatchdog();
            closeOpenText(sink);
            sink.enqueue(finishPart(summary("ok", null)));
            sink.close();
            return;
          }
          if (forward(next.value, sink)) return;
        } catch (thrown) {
          readSince = null;
          stopWatchdog();
          const error = idleFailure ?? thrown;
          controller.abort();
          reader.cancel().catch(() => {});
          const failure = classifyFailure(error);
          const gatewayError = new GatewayError(
            "stream_interrupted",
            `The AI provider ${target.provider} stopped mid-answer (it ${failure.summary}). The partial answer was kept and billed for what was delivered.`,
            { cause: error },
          );
          // The error, then what was delivered (and billed) as the finish.
          closeOpenText(sink);
          sink.enqueue({ type: "error", error: gatewayError });
          sink.enqueue(finishPart(summary("partial", "stream_interrupted")));
          sink.close();
          return;
        }
      }
    },
    cancel: () => {
      // The consumer went away (browser closed, client disconnected): stop the provider, bill what was sent.
      stopWatchdog();
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

const CACHED_TEXT = "text-0";

function replayHit(rt: GatewayRuntime, ctx: CallContext, request: GenerateRequest, prepared: Prepared, hit: NonNullable<Prepared["hit"]>): CompletionStream {
  const result = hitResult(prepared, hit);
  recordHit(rt.meter, rt.config.pricing, ctx, request.role, prepared, hit, null);
  const pieces = result.text.match(/\S+\s*|\s+/g) ?? [];
  const parts = new ReadableStream<LanguageModelV3StreamPart>({
    start(sink) {
      if (pieces.length > 0) sink.enqueue({ type: "text-start", id: CACHED_TEXT });
      for (const piece of pieces) sink.enqueue({ type: "text-delta", id: CACHED_TEXT, delta: piece });
      if (pieces.length > 0) sink.enqueue({ type: "text-end", id: CACHED_TEXT });
      sink.enqueue(finishPart(result));
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
