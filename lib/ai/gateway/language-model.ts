// The gateway as an AI SDK 6 language model: product code calls the SDK's own generateText,
// streamText and Output.object (with their telemetry and tool loops) on `keelModel(ctx, role)`,
// and every model call the SDK makes (each step of a tool loop is one) runs the whole gateway
// path: route, cache, quota reservation, provider chain with fallback, metering.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FunctionTool,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  SharedV3Warning,
} from "@ai-sdk/provider";
import { GatewayError, isGatewayError } from "../errors";
import { abortError } from "../offline/abort";
import type { CallContext, LanguageRole } from "../types";
import { finishReasonOf, keelMetadata, usageOf } from "./answer-metadata";
import type { ValidationCheck } from "./generate";
import type { CompletionResult, CompletionStream, GenerateRequest } from "./types";

/** What the model needs of the gateway (the `Gateway` facade, or a test's own instance). */
export interface GatewayCalls {
  generate(ctx: CallContext, request: GenerateRequest, validation?: ValidationCheck): Promise<CompletionResult>;
  stream(ctx: CallContext, request: GenerateRequest): Promise<CompletionStream>;
}

// Settings the gateway decides itself (provider options would tie a call to one provider).
const ignoredSettings = ["topK", "presencePenalty", "frequencyPenalty", "seed", "providerOptions"] as const;

export class GatewayLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3" as const;
  readonly provider = "keel";
  readonly modelId: string;
  // No URL is passed through: files reach providers as data, whichever provider ends up answering.
  readonly supportedUrls: Record<string, RegExp[]> = {};
  private calls = 0;

  constructor(
    private readonly gateway: GatewayCalls,
    private readonly ctx: CallContext,
    private readonly role: LanguageRole,
    /** How structured output judges each answer for the quality counts (./structured-output.ts). */
    private readonly validation?: ValidationCheck,
  ) {
    this.modelId = `keel-${role}`;
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { request, warnings } = this.toRequest(options);
    const ctx = this.callContext(options.abortSignal);
    let result: CompletionResult;
    try {
      result = await this.gateway.generate(ctx, request, this.validation);
    } catch (error) {
      throw asAbort(error, ctx.signal);
    }
    // A JSON answer is text even when empty, so the SDK's structured output judges (and repairs) it.
    const hasText = result.text !== "" || options.responseFormat?.type === "json";
    const content: LanguageModelV3Content[] = [...(hasText ? [{ type: "text" as const, text: result.text }] : []), ...result.toolCalls];
    return {
      content,
      finishReason: finishReasonOf(result.finishReason),
      usage: usageOf(result),
      providerMetadata: { keel: keelMetadata(result) },
      response: { id: result.requestId, modelId: result.model, timestamp: new Date() },
      warnings,
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const { request, warnings } = this.toRequest(options);
    const ctx = this.callContext(options.abortSignal);
    let opened: CompletionStream;
    try {
      opened = await this.gateway.stream(ctx, request);
    } catch (error) {
      throw asAbort(error, ctx.signal);
    }
    return { stream: toModelStream(opened, warnings, ctx.signal) };
  }

  private callContext(abortSignal: AbortSignal | undefined): CallContext {
    const n = this.calls++;
    // Each call is metered under its own id: a tool loop's steps must not collapse into one record.
    const requestId = this.ctx.requestId && n > 0 ? `${this.ctx.requestId}:${n}` : this.ctx.requestId;
    const signals = [this.ctx.signal, abortSignal].filter((s): s is AbortSignal => s !== undefined);
    return { ...this.ctx, requestId, signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] };
  }

  private toRequest(options: LanguageModelV3CallOptions): { request: GenerateRequest; warnings: SharedV3Warning[] } {
    const tools: LanguageModelV3FunctionTool[] = [];
    for (const tool of options.tools ?? []) {
      if (tool.type !== "function")
        throw new GatewayError("invalid_request", `The provider tool "${tool.name}" cannot be routed through the gateway: use function tools.`);
      tools.push(tool);
    }
    // The SDK always sends its user-agent; only headers a caller set are worth a warning.
    const callerHeaders = Object.keys(options.headers ?? {}).some((name) => name.toLowerCase() !== "user-agent");
    const warnings: SharedV3Warning[] = [...ignoredSettings.filter((setting) => options[setting] !== undefined), ...(callerHeaders ? ["headers"] : [])].map(
      (setting) => ({ type: "unsupported", feature: setting, details: "Keel's gateway chooses providers and their settings itself." }),
    );
    const request: GenerateRequest = {
      role: this.role,
      prompt: options.prompt,
      maxOutputTokens: options.maxOutputTokens,
      temperature: options.temperature,
      topP: options.topP,
      stopSequences: options.stopSequences,
      responseFormat: options.responseFormat,
      ...(tools.length > 0 ? { tools, toolChoice: options.toolChoice } : {}),
    };
    return { request, warnings };
  }
}

/**
 * A call the caller aborted surfaces as an AbortError, which the SDK treats as a clean abort
 * (streamText emits an `abort` part); the gateway has already metered it.
 */
function asAbort(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && isGatewayError(error) && error.code === "cancelled") return abortError(signal);
  return error;
}

/**
 * The gateway's stream, already in the SDK's stream parts, after this call's own start (its
 * warnings, and the request id as the response id). Parts pass through untouched.
 */
function toModelStream(opened: CompletionStream, warnings: SharedV3Warning[], signal: AbortSignal | undefined): ReadableStream<LanguageModelV3StreamPart> {
  const reader = opened.parts.getReader();
  let finished = false;
  let onAbort: (() => void) | undefined;
  const done = () => {
    finished = true;
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  };

  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      controller.enqueue({ type: "stream-start", warnings });
      controller.enqueue({ type: "response-metadata", id: opened.requestId, modelId: opened.model, timestamp: new Date() });
      if (!signal) return;
      // Stop now even if nobody is reading: the gateway stops the provider and bills what was delivered.
      onAbort = () => {
        if (finished) return;
        done();
        reader.cancel(signal.reason).catch(() => {});
        controller.error(abortError(signal));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      const next = await reader.read();
      if (finished) return;
      if (next.done) {
        done();
        controller.close();
        return;
      }
      controller.enqueue(next.value);
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
}
