// `n > 1` on chat completions: n independent gateway calls (each routed, held to the quota, sent
// along the provider chain and metered as the call it is: n prompts and n answers are what it
// costs), answered as one completion whose choices are indexed 0..n-1. Never served from or stored
// in the cache: each choice is a fresh sample. The rate limits count one request and n estimates.
import { getGateway } from "@/lib/ai";
import type { LanguageModelV3StreamPart } from "@ai-sdk/provider";
import type { CompletionResult, CompletionStream, GenerateRequest } from "@/lib/ai/gateway";
import type { CallContext, TokenUsage } from "@/lib/ai/types";
import { billedUsage, choiceFramer, doneFrame, usageFrame } from "./chat-completion-stream";

/** Every choice's ctx: its own call, cache off, aborted with the others when one fails. */
function choiceContexts(ctx: CallContext, n: number): { contexts: CallContext[]; controller: AbortController } {
  const controller = new AbortController();
  const abort = () => controller.abort(ctx.signal?.reason);
  if (ctx.signal?.aborted) abort();
  else ctx.signal?.addEventListener("abort", abort, { once: true });
  const contexts = Array.from({ length: n }, () => ({ ...ctx, requestId: undefined, cache: { noCache: true, noStore: true }, signal: controller.signal }));
  return { contexts, controller };
}

export async function generateChoices(ctx: CallContext, request: GenerateRequest, n: number): Promise<CompletionResult[]> {
  const { contexts, controller } = choiceContexts(ctx, n);
  try {
    return await Promise.all(contexts.map((choiceCtx) => getGateway().generate(choiceCtx, request)));
  } catch (error) {
    // The others are cut off (and billed for what they were sent): the answer failed as a whole.
    controller.abort();
    throw error;
  }
}

/** Resolves once every choice has its first token (or fails as a whole before any is sent). */
export async function streamChoices(ctx: CallContext, request: GenerateRequest, n: number): Promise<CompletionStream[]> {
  const { contexts, controller } = choiceContexts(ctx, n);
  const opened = await Promise.allSettled(contexts.map((choiceCtx) => getGateway().stream(choiceCtx, request)));
  const failed = opened.find((o) => o.status === "rejected");
  if (failed) {
    controller.abort();
    for (const o of opened) if (o.status === "fulfilled") void o.value.parts.cancel().catch(() => {});
    throw failed.reason;
  }
  return opened.map((o) => (o as PromiseFulfilledResult<CompletionStream>).value);
}

/**
 * The choices' parts interleaved as they come, each chunk carrying its choice's index; after the
 * last finish, the usage of them all (when asked) and [DONE]. A choice that fails mid-answer ends
 * the stream with an error event, and the others are cut off.
 */
export function choicesEvents(streams: CompletionStream[], options: { id: string; created: number; includeUsage: boolean }): ReadableStream<Uint8Array> {
  const model = streams[0]!.model;
  const readers = streams.map((stream) => stream.parts.getReader());
  const usages: TokenUsage[] = [];
  let ended = false;
  const stopAll = () => {
    ended = true;
    for (const reader of readers) void reader.cancel().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    start(sink) {
      const pump = async (reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart>, index: number) => {
        const frames = choiceFramer({ id: options.id, created: options.created, model, index });
        for (;;) {
          const { value, done } = await reader.read();
          if (done || ended) return;
          for (const bytes of frames(value)) sink.enqueue(bytes);
          if (value.type === "finish") usages.push(billedUsage(value));
          if (value.type === "error") {
            stopAll();
            sink.close();
            return;
          }
        }
      };
      void Promise.all(readers.map(pump)).then(
        () => {
          if (ended) return;
          ended = true;
          if (options.includeUsage && usages.length > 0) sink.enqueue(usageFrame({ id: options.id, created: options.created, model }, usages));
          sink.enqueue(doneFrame);
          sink.close();
        },
        (error: unknown) => {
          stopAll();
          sink.error(error);
        },
      );
    },
    cancel() {
      // The client went away: every choice stops, and each is billed for what it delivered.
      stopAll();
    },
  });
}
