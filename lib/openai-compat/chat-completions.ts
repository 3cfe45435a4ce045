// POST /api/v1/chat/completions: OpenAI's Chat Completions over Keel's gateway (same quotas,
// caches and metering as the app), streaming as OpenAI-format server-sent events.
import { getGateway } from "@/lib/ai";
import type { CompletionResult, GenerateRequest } from "@/lib/ai/gateway";
import type { ApiKeyPrincipal } from "@/lib/auth/api-keys";
import { eventStreamResponse, keelHeaders } from "./answer-headers";
import { cacheControlFrom } from "./cache-headers";
import { chatCompletionEvents, finishReasons, usageOf } from "./chat-completion-stream";
import { toGenerateRequest } from "./chat-request";
import { errorToResponse, openAiError } from "./errors";
import { GROUNDED_MODEL, isGroundedModel, prepareGrounding, type Grounding } from "./grounded-chat";
import { languageRoleForModel } from "./models";
import { chatCompletionRequestSchema } from "./schemas";
import { parseJsonRequest } from "./with-api-key";
import { generateChoices, streamChoices, choicesEvents } from "./chat-choices";
import type { ApiRequestGate } from "./rate-limit-gate";
import type { CallContext } from "@/lib/ai/types";

/** The assistant's message: OpenAI sends null content beside tool calls when there was no text. */
function messageOf(result: CompletionResult) {
  if (result.toolCalls.length === 0) return { role: "assistant", content: result.text, refusal: null };
  return {
    role: "assistant",
    content: result.text || null,
    refusal: null,
    tool_calls: result.toolCalls.map((call) => ({ id: call.toolCallId, type: "function", function: { name: call.toolName, arguments: call.input } })),
  };
}

export async function handleChatCompletion(request: Request, principal: ApiKeyPrincipal, gate?: ApiRequestGate): Promise<Response> {
  const parsed = await parseJsonRequest(request, chatCompletionRequestSchema);
  if (!parsed.ok) return parsed.response;
  const input = parsed.value;
  if ((input.functions?.length ?? 0) > 0 || input.function_call !== undefined) {
    const param = input.function_call !== undefined ? "function_call" : "functions";
    return openAiError(
      400,
      "The deprecated 'functions' and 'function_call' are not supported: use 'tools' and 'tool_choice'.",
      "invalid_request_error",
      "unsupported_parameter",
      param,
    );
  }
  const role = languageRoleForModel(input.model);
  if (!role)
    return openAiError(
      404,
      `The model '${input.model}' does not exist. Use keel-chat, keel-rag, keel-analysis or keel-title (GET /v1/models).`,
      "invalid_request_error",
      "model_not_found",
      "model",
    );

  if (!isGroundedModel(input.model) && (input as { keel?: unknown }).keel !== undefined) {
    return openAiError(400, `The 'keel' grounding options apply to the model ${GROUNDED_MODEL}.`, "invalid_request_error", "invalid_request", "keel");
  }
  if (isGroundedModel(input.model) && (input.n ?? 1) > 1) {
    return openAiError(400, `The model ${GROUNDED_MODEL} answers one choice: leave 'n' at 1.`, "invalid_request_error", "unsupported_parameter", "n");
  }
  let grounding: Grounding | null = null;
  if (isGroundedModel(input.model)) {
    try {
      const prepared = await prepareGrounding(input, principal, request.signal);
      if (!prepared.ok) return prepared.response;
      grounding = prepared.grounding;
    } catch (error) {
      return errorToResponse(error);
    }
  }

  const ctx = {
    tenantId: principal.tenantId,
    apiKeyId: principal.apiKeyId,
    feature: grounding ? "api-rag" : "api",
    cache: cacheControlFrom(request.headers),
    signal: request.signal,
    admission: gate,
    ...(grounding ? { contextChunkIds: grounding.contextChunkIds, promptVersion: grounding.promptVersion } : {}),
  };
  const generateRequest = { ...toGenerateRequest(input, role), ...(grounding ? { prompt: grounding.prompt } : {}) };
  const groundingHeaders: Record<string, string> = grounding ? { "x-keel-retrieval-call-id": grounding.retrievalCallId } : {};
  const created = Math.floor(Date.now() / 1000);
  if ((input.n ?? 1) > 1)
    return answerChoices(ctx, generateRequest, {
      n: input.n!,
      stream: input.stream === true,
      created,
      includeUsage: input.stream_options?.include_usage === true,
      gate,
    });

  if (!input.stream) {
    try {
      const result = await getGateway().generate(ctx, generateRequest);
      return Response.json(
        {
          id: `chatcmpl-${result.requestId}`,
          object: "chat.completion",
          created,
          model: result.model,
          choices: [
            {
              index: 0,
              message: grounding ? { ...messageOf(result), citations: grounding.citations(result.text) } : messageOf(result),
              logprobs: null,
              finish_reason: finishReasons[result.finishReason] ?? "stop",
            },
          ],
          usage: usageOf(result.usage),
        },
        { headers: { ...keelHeaders(result), ...groundingHeaders } },
      );
    } catch (error) {
      return errorToResponse(error);
    }
  }

  // Streaming: the gateway resolves after the first token, so a failure before it still gets a
  // proper HTTP status; after it, the stream carries an OpenAI-style error event.
  let stream;
  try {
    stream = await getGateway().stream(ctx, generateRequest);
  } catch (error) {
    return errorToResponse(error);
  }
  const sse = chatCompletionEvents(stream, {
    id: `chatcmpl-${stream.requestId}`,
    created,
    includeUsage: input.stream_options?.include_usage === true,
    ...(grounding ? { finalDelta: (text: string) => ({ citations: grounding.citations(text) }) } : {}),
  });
  return eventStreamResponse(sse, { ...keelHeaders(stream), ...groundingHeaders });
}

/** n > 1: n calls answered as one completion, choices indexed (./chat-choices.ts). */
async function answerChoices(
  ctx: CallContext,
  request: GenerateRequest,
  options: { n: number; stream: boolean; created: number; includeUsage: boolean; gate?: ApiRequestGate },
): Promise<Response> {
  const { n, created } = options;
  options.gate?.expectCalls(n);
  if (!options.stream) {
    let results: CompletionResult[];
    try {
      results = await generateChoices(ctx, request, n);
    } catch (error) {
      return errorToResponse(error);
    }
    const usage = results
      .map((result) => usageOf(result.usage))
      .reduce((a, b) => ({
        prompt_tokens: a.prompt_tokens + b.prompt_tokens,
        completion_tokens: a.completion_tokens + b.completion_tokens,
        total_tokens: a.total_tokens + b.total_tokens,
      }));
    return Response.json(
      {
        id: `chatcmpl-${results[0]!.requestId}`,
        object: "chat.completion",
        created,
        model: results[0]!.model,
        choices: results.map((result, index) => ({
          index,
          message: messageOf(result),
          logprobs: null,
          finish_reason: finishReasons[result.finishReason] ?? "stop",
        })),
        usage,
      },
      { headers: { ...keelHeaders(results[0]!), "x-keel-call-id": results.map((r) => r.requestId).join(", ") } },
    );
  }
  let streams;
  try {
    streams = await streamChoices(ctx, request, n);
  } catch (error) {
    return errorToResponse(error);
  }
  const sse = choicesEvents(streams, { id: `chatcmpl-${streams[0]!.requestId}`, created, includeUsage: options.includeUsage });
  return eventStreamResponse(sse, { ...keelHeaders(streams[0]!), "x-keel-call-id": streams.map((s) => s.requestId).join(", ") });
}
