// POST /api/v1/chat/completions: OpenAI's Chat Completions over Keel's gateway (same quotas,
// caches and metering as the app), streaming as OpenAI-format server-sent events.
import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
import { getGateway } from "@/lib/ai";
import type { CompletionResult, GatewayStreamPart, GenerateRequest } from "@/lib/ai/gateway";
import type { ApiKeyPrincipal } from "@/lib/auth/api-keys";
import { cacheControlFrom } from "./cache-headers";
import { errorToResponse, gatewayErrorBody, openAiError } from "./errors";
import { languageRoleForModel } from "./models";
import { chatCompletionRequestSchema, type ChatCompletionRequest } from "./schemas";
import { parseJsonRequest } from "./with-api-key";

const finishReasons: Record<string, string> = { stop: "stop", length: "length", "content-filter": "content_filter", "tool-calls": "tool_calls" };

function toPrompt(messages: ChatCompletionRequest["messages"]): LanguageModelV3Prompt {
  return messages.map((message) => {
    const text = typeof message.content === "string" ? message.content : (message.content ?? []).map((p) => p.text).join("");
    if (message.role === "system" || message.role === "developer") return { role: "system" as const, content: text };
    return { role: message.role, content: [{ type: "text" as const, text }] };
  });
}

function toGenerateRequest(body: ChatCompletionRequest, role: GenerateRequest["role"]): GenerateRequest {
  const format = body.response_format;
  return {
    role,
    prompt: toPrompt(body.messages),
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stopSequences: typeof body.stop === "string" ? [body.stop] : (body.stop ?? undefined),
    responseFormat:
      format?.type === "json_object"
        ? { type: "json" }
        : format?.type === "json_schema"
          ? { type: "json", name: format.json_schema.name, description: format.json_schema.description, schema: format.json_schema.schema as never }
          : undefined,
  };
}

function keelHeaders(result: { requestId: string; provider: string; cacheStatus: string; offline: boolean }): Record<string, string> {
  return { "x-request-id": result.requestId, "x-keel-provider": result.provider, "x-keel-cache": result.cacheStatus, "x-keel-offline": String(result.offline) };
}

const usageOf = (result: CompletionResult) => ({
  prompt_tokens: result.usage.inputTokens,
  completion_tokens: result.usage.outputTokens,
  total_tokens: result.usage.inputTokens + result.usage.outputTokens,
});

export async function handleChatCompletion(request: Request, principal: ApiKeyPrincipal): Promise<Response> {
  const parsed = await parseJsonRequest(request, chatCompletionRequestSchema);
  if (!parsed.ok) return parsed.response;
  const input = parsed.value;
  if ((input.tools?.length ?? 0) > 0 || (input.functions?.length ?? 0) > 0) {
    return openAiError(400, "Tool and function calling are not supported by this endpoint yet.", "invalid_request_error", "unsupported_parameter", "tools");
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
              message: { role: "assistant", content: result.text, refusal: null },
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
  const id = `chatcmpl-${stream.requestId}`;
  const includeUsage = input.stream_options?.include_usage === true;
  const encoder = new TextEncoder();
  const frame = (payload: unknown) => encoder.encode(`data: ${JSON.stringify(payload)}\n\n`);
  const chunk = (delta: Record<string, string>, finishReason: string | null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: stream.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  const reader = stream.parts.getReader();
  let first = true;

  const sse = new ReadableStream<Uint8Array>({
    async pull(sink) {
      const { value, done } = await reader.read();
      if (done) {
        sink.close();
        return;
      }
      const part: GatewayStreamPart = value;
      if (part.type === "text-delta") {
        sink.enqueue(frame(chunk(first ? { role: "assistant", content: part.text } : { content: part.text }, null)));
        first = false;
      } else if (part.type === "finish") {
        sink.enqueue(frame(chunk({}, finishReasons[part.result.finishReason] ?? "stop")));
        if (includeUsage) sink.enqueue(frame({ id, object: "chat.completion.chunk", created, model: stream.model, choices: [], usage: usageOf(part.result) }));
        sink.enqueue(encoder.encode("data: [DONE]\n\n"));
      } else {
        sink.enqueue(frame(gatewayErrorBody(part.error)));
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });

  return new Response(sse, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      ...keelHeaders(stream),
    },
  });
}
