// A gateway stream (the AI SDK's stream parts) as OpenAI's Chat Completions server-sent events:
// text deltas, tool-call deltas (the first chunk of a call names it with empty arguments, later
// ones carry only its index and argument pieces), the finish reason, optional usage, then [DONE];
// or an error event after a mid-answer failure.
import type { LanguageModelV3StreamPart } from "@ai-sdk/provider";
import type { CompletionStream } from "@/lib/ai/gateway";
import type { TokenUsage } from "@/lib/ai/types";
import { streamErrorBody } from "./errors";

export const finishReasons: Record<string, string> = { stop: "stop", length: "length", "content-filter": "content_filter", "tool-calls": "tool_calls" };

export const usageOf = (usage: TokenUsage) => ({
  prompt_tokens: usage.inputTokens,
  completion_tokens: usage.outputTokens,
  total_tokens: usage.inputTokens + usage.outputTokens,
});

type FinishPart = Extract<LanguageModelV3StreamPart, { type: "finish" }>;

/** The tokens the gateway's finish part says were billed. */
export const billedUsage = (part: FinishPart): TokenUsage => ({
  inputTokens: part.usage.inputTokens.total ?? 0,
  outputTokens: part.usage.outputTokens.total ?? 0,
});

/**
 * Frames one choice's parts as chat.completion.chunk events (choice `index`); its finish part
 * becomes the choice's finish chunk only: usage and [DONE] belong to the whole answer.
 */
export function choiceFramer(options: {
  id: string;
  created: number;
  model: string;
  index: number;
  /** Fields the choice's finish chunk carries once the answer's text is whole (keel-rag's citations). */
  finalDelta?: (text: string) => Record<string, unknown>;
}): (part: LanguageModelV3StreamPart) => Uint8Array[] {
  const { id, created, model, index: choiceIndex } = options;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    frame({ id, object: "chat.completion.chunk", created, model, choices: [{ index: choiceIndex, delta, logprobs: null, finish_reason: finishReason }] });
  let roleSent = false;
  /** The first delta of the answer also says who speaks. */
  const delta = (fields: Record<string, unknown>) => {
    if (roleSent) return fields;
    roleSent = true;
    return { role: "assistant", ...("content" in fields ? {} : { content: null }), ...fields };
  };
  // Calls are numbered in the order they start; the provider's ids key them meanwhile.
  const callIndex = new Map<string, number>();
  const startCall = (callId: string, toolName: string) => {
    const index = callIndex.size;
    callIndex.set(callId, index);
    return chunk(delta({ tool_calls: [{ index, id: callId, type: "function", function: { name: toolName, arguments: "" } }] }), null);
  };
  const argumentsChunk = (index: number, piece: string) => chunk(delta({ tool_calls: [{ index, function: { arguments: piece } }] }), null);
  let text = "";

  return (part: LanguageModelV3StreamPart): Uint8Array[] => {
    switch (part.type) {
      case "text-delta":
        if (options.finalDelta) text += part.delta;
        return [chunk(delta({ content: part.delta }), null)];
      case "tool-input-start":
        return [startCall(part.id, part.toolName)];
      case "tool-input-delta": {
        const index = callIndex.get(part.id);
        return index === undefined || !part.delta ? [] : [argumentsChunk(index, part.delta)];
      }
      case "tool-input-end":
        return [];
      case "tool-call":
        // A provider that sends whole calls without streaming their arguments first.
        if (callIndex.has(part.toolCallId)) return [];
        return [startCall(part.toolCallId, part.toolName), argumentsChunk(callIndex.size - 1, part.input)];
      case "finish":
        return [chunk(options.finalDelta?.(text) ?? {}, finishReasons[part.finishReason.unified] ?? "stop")];
      case "error":
        return [frame(streamErrorBody(part.error))];
      default:
        return [];
    }
  };
}

const encoder = new TextEncoder();
const frame = (payload: unknown) => encoder.encode(`data: ${JSON.stringify(payload)}\n\n`);
export const doneFrame = encoder.encode("data: [DONE]\n\n");

/** The usage chunk (`stream_options.include_usage`): no choices, the whole answer's tokens. */
export function usageFrame(options: { id: string; created: number; model: string }, usages: TokenUsage[]): Uint8Array {
  const usage = usages.map(usageOf).reduce((a, b) => ({
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  }));
  return frame({ id: options.id, object: "chat.completion.chunk", created: options.created, model: options.model, choices: [], usage });
}

export function chatCompletionEvents(
  stream: CompletionStream,
  options: { id: string; created: number; includeUsage: boolean; finalDelta?: (text: string) => Record<string, unknown> },
): ReadableStream<Uint8Array> {
  const { id, created, includeUsage } = options;
  const choice = choiceFramer({ id, created, model: stream.model, index: 0, finalDelta: options.finalDelta });
  const frames = (part: LanguageModelV3StreamPart): Uint8Array[] =>
    part.type === "finish"
      ? [...choice(part), ...(includeUsage ? [usageFrame({ id, created, model: stream.model }, [billedUsage(part)])] : []), doneFrame]
      : choice(part);

  const reader = stream.parts.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(sink) {
      // Read until something can be sent: a pull that enqueues nothing is not called again.
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          sink.close();
          return;
        }
        const out = frames(value);
        // Frames of one part (the finish chunk, usage and [DONE]) go out in one write.
        if (out.length > 0) sink.enqueue(out.length === 1 ? out[0]! : Buffer.concat(out));
        if (value.type === "error") {
          // The answer broke off: the error event ends it (the finish that follows is the meter's).
          sink.close();
          void reader.cancel().catch(() => {});
          return;
        }
        if (out.length > 0) return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
