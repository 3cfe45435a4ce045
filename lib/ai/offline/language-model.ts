/**
 * Extractive, deterministic stand-in for a chat model (AI SDK 6 LanguageModelV3), so that
 * `generateText`, `streamText`, `Output.object` and `generateObject` work unchanged offline.
 */
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3FinishReason,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3ToolCall,
  LanguageModelV3Usage,
} from "@ai-sdk/provider";
import { countTokens } from "../tokens";
import { abortError, sleep } from "./abort";
import { Corpus } from "./corpus";
import { loadEntityClassifier, type EntityClassifier } from "./entity-kind";
import { extractiveAnswer } from "./extractive-answer";
import { structuredAnswer } from "./json-schema-value";
import { parsePrompt } from "./prompt";
import { offlineToolCall } from "./tool-call";

export interface OfflineLanguageModelOptions {
  /** Defaults to "keel-offline-extractive". */
  modelId?: string;
  /** Delay between streamed text deltas, to mimic a real model in demos and abort tests. Default 0. */
  tokenDelayMs?: number;
}

interface Completion {
  readonly text: string;
  /** Set when the tool choice demanded a call: then it is the whole answer. */
  readonly toolCall: LanguageModelV3ToolCall | null;
  readonly finishReason: LanguageModelV3FinishReason;
  readonly usage: LanguageModelV3Usage;
}

/** Splits text into word pieces that keep their trailing whitespace, so they concatenate back exactly. */
function wordPieces(text: string): string[] {
  return text.match(/\s+|\S+\s*/g) ?? [];
}

/** Arguments stream in pieces like a real model's, about one token each, concatenating back exactly. */
function jsonPieces(json: string): string[] {
  return json.match(/[^",:{}[\]\s]+\s*|[",:{}[\]]\s*|\s+/g) ?? [];
}

/**
 * Extractive, deterministic stand-in for a chat model: it answers with the context sentences that
 * best overlap the question, and fills JSON schemas from the same sentences.
 */
export class OfflineLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3" as const;
  readonly provider = "offline";
  readonly modelId: string;
  readonly tokenDelayMs: number;
  // Claim every URL so the SDK never downloads attached files: offline means no network, and the
  // model ignores files anyway.
  readonly supportedUrls: Record<string, RegExp[]> = { "*/*": [/^[a-z][a-z0-9+.-]*:/] };

  constructor(options: OfflineLanguageModelOptions = {}) {
    this.modelId = options.modelId ?? "keel-offline-extractive";
    const delay = options.tokenDelayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0) throw new RangeError("tokenDelayMs must be a non-negative number");
    this.tokenDelayMs = delay;
  }

  private complete(options: LanguageModelV3CallOptions, classify: EntityClassifier | undefined): Completion {
    const parsed = parsePrompt(options.prompt);
    const corpus = new Corpus(parsed.context);
    const format = options.responseFormat;
    let text: string;
    let unified: LanguageModelV3FinishReason["unified"] = "stop";
    const toolCall = offlineToolCall(options, parsed);
    if (toolCall) {
      text = "";
      unified = "tool-calls";
    } else if (format?.type === "json") {
      // JSON must stay parseable, so maxOutputTokens and stop sequences are not applied here.
      text = structuredAnswer(corpus, parsed.question, format.schema, classify);
    } else {
      text = extractiveAnswer(corpus, parsed.question);
      for (const stop of options.stopSequences ?? []) {
        const at = stop ? text.indexOf(stop) : -1;
        if (at >= 0) text = text.slice(0, at);
      }
      if (options.maxOutputTokens !== undefined && countTokens(text) > options.maxOutputTokens) {
        let kept = "";
        for (const piece of wordPieces(text)) {
          if (countTokens(kept + piece) > options.maxOutputTokens) break;
          kept += piece;
        }
        text = kept.trimEnd();
        unified = "length";
      }
    }
    const inputTokens = parsed.allText.reduce((sum, t) => sum + countTokens(t), 0);
    const outputTokens = countTokens(toolCall ? toolCall.input : text);
    return {
      text,
      toolCall,
      finishReason: { unified, raw: unified },
      usage: {
        inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
      },
    };
  }

  /** Structured output may name kinds of entities: the classifier is loaded for those calls only. */
  private async classifierFor(options: LanguageModelV3CallOptions): Promise<EntityClassifier | undefined> {
    return options.responseFormat?.type === "json" ? loadEntityClassifier() : undefined;
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal);
    const classify = await this.classifierFor(options);
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal);
    const { text, toolCall, finishReason, usage } = this.complete(options, classify);
    return {
      content: toolCall ? [toolCall] : [{ type: "text", text }],
      finishReason,
      usage,
      warnings: [],
      response: { modelId: this.modelId },
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const signal = options.abortSignal;
    if (signal?.aborted) throw abortError(signal);
    const classify = await this.classifierFor(options);
    if (signal?.aborted) throw abortError(signal);
    const { text, toolCall, finishReason, usage } = this.complete(options, classify);
    const id = "text-0";
    const answer: LanguageModelV3StreamPart[] = toolCall
      ? [
          { type: "tool-input-start", id: toolCall.toolCallId, toolName: toolCall.toolName },
          ...jsonPieces(toolCall.input).map((delta): LanguageModelV3StreamPart => ({ type: "tool-input-delta", id: toolCall.toolCallId, delta })),
          { type: "tool-input-end", id: toolCall.toolCallId },
          toolCall,
        ]
      : [
          { type: "text-start", id },
          ...wordPieces(text).map((delta): LanguageModelV3StreamPart => ({ type: "text-delta", id, delta })),
          { type: "text-end", id },
        ];
    const parts: LanguageModelV3StreamPart[] = [{ type: "stream-start", warnings: [] }, ...answer, { type: "finish", finishReason, usage }];
    const delay = this.tokenDelayMs;
    let next = 0;
    let deltasSent = 0;
    let finished = false;
    let onAbort: (() => void) | undefined;
    const cleanup = (): void => {
      finished = true;
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    };

    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start(controller) {
        if (!signal) return;
        // Error immediately on abort, even if the consumer is not currently waiting on a read.
        onAbort = (): void => {
          if (finished) return;
          cleanup();
          controller.error(abortError(signal));
        };
        signal.addEventListener("abort", onAbort, { once: true });
      },
      async pull(controller) {
        const part = parts[next];
        if (finished || !part) return;
        const isDelta = part.type === "text-delta" || part.type === "tool-input-delta";
        if (isDelta && delay > 0 && deltasSent > 0) {
          try {
            await sleep(delay, signal);
          } catch (error) {
            if (!finished) {
              cleanup();
              controller.error(error);
            }
            return;
          }
          if (finished) return;
        }
        controller.enqueue(part);
        next += 1;
        if (isDelta) deltasSent += 1;
        if (next === parts.length) {
          cleanup();
          controller.close();
        }
      },
      cancel() {
        cleanup();
      },
    });
    return { stream };
  }
}
