// POST /api/v1/chat/completions: OpenAI's Chat Completions over Keel's gateway (same quotas,
// caches and metering as the app), streaming as OpenAI-format server-sent events.
import { getGateway } from "@/lib/ai";
import type { CompletionResult } from "@/lib/ai/gateway";
import type { CallAdmission } from "@/lib/ai/types";
import type { ApiKeyPrincipal } from "@/lib/auth/api-keys";
import { cacheControlFrom } from "./cache-headers";
import { chatCompletionEvents, finishReasons, usageOf } from "./chat-completion-stream";
import { toGenerateRequest } from "./chat-request";
import { errorToResponse, openAiError } from "./errors";
import { languageRoleForModel } from "./models";
import { chatCompletionRequestSchema } from "./schemas";
import { parseJsonRequest } from "./with-api-key";

function keelHeaders(result: { requestId: string; provider: string; cacheStatus: string; offline: boolean }): Record<string, string> {
  return {
    "x-keel-call-id": result.requestId,
    "x-keel-provider": result.provider,
    "x-keel-cache": result.cacheStatus,
    "x-keel-offline": String(result.offline),
  };
}

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

export async function handleChatCompletion(request: Request, principal: ApiKeyPrincipal, gate?: CallAdmission): Promise<Response> {
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
      `The model '${input.model}' does not exist. Use keel-chat, keel-analysis or keel-title (GET /v1/models).`,
      "invalid_request_error",
      "model_not_found",
      "model",
    );

  const ctx = {
    tenantId: principal.tenantId,
    apiKeyId: principal.apiKeyId,
    feature: "api",
    cache: cacheControlFrom(request.headers),
    signal: request.signal,
    admission: gate,
  };
  const generateRequest = toGenerateRequest(input, role);
  const created = Math.floor(Date.now() / 1000);

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
              message: messageOf(result),
              logprobs: null,
              finish_reason: finishReasons[result.finishReason] ?? "stop",
            },
          ],
          usage: usageOf(result),
        },
        { headers: keelHeaders(result) },
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
  const sse = chatCompletionEvents(stream, { id: `chatcmpl-${stream.requestId}`, created, includeUsage: input.stream_options?.include_usage === true });
  return new Response(sse, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      ...keelHeaders(stream),
    },
  });
}
