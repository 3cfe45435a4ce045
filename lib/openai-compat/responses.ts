// POST /api/v1/responses: OpenAI's Responses API over Keel's gateway (the same rate limits,
// quota, caches, provider fallback and metering as chat completions). Responses are stored for
// previous_response_id unless `store` is false; a previous id of another workspace is not found.
import { randomBytes } from "node:crypto";
import { getGateway } from "@/lib/ai";
import type { ApiKeyPrincipal } from "@/lib/auth/api-keys";
import { log } from "@/core/log";
import { eventStreamResponse, keelHeaders } from "./answer-headers";
import { cacheControlFrom } from "./cache-headers";
import { errorToResponse, openAiError } from "./errors";
import { languageRoleForModel } from "./models";
import type { ApiRequestGate } from "./rate-limit-gate";
import { outputItemsOf, responseObject, type OutputItem, type ResponseShell } from "./response-object";
import { inputItemsOf, toGenerateRequest, toPrompt } from "./responses-request";
import { RESPONSE_ID, responseRequestSchema, type ResponseInputItem } from "./responses-schema";
import { responseEvents } from "./responses-stream";
import { conversationBefore, storeResponse } from "./stored-responses";
import { parseJsonRequest } from "./with-api-key";

export async function handleResponse(request: Request, principal: ApiKeyPrincipal, gate?: ApiRequestGate): Promise<Response> {
  const parsed = await parseJsonRequest(request, responseRequestSchema);
  if (!parsed.ok) return parsed.response;
  const body = parsed.value;
  const role = languageRoleForModel(body.model);
  if (!role)
    return openAiError(
      404,
      `The model '${body.model}' does not exist. Use keel-chat, keel-analysis or keel-title (GET /v1/models).`,
      "invalid_request_error",
      "model_not_found",
      "model",
    );

  let history: ResponseInputItem[] = [];
  if (body.previous_response_id) {
    const found = RESPONSE_ID.test(body.previous_response_id) ? await conversationBefore(principal.tenantId, body.previous_response_id) : null;
    if (!found)
      return openAiError(
        404,
        `Previous response with id '${body.previous_response_id}' not found.`,
        "invalid_request_error",
        "previous_response_not_found",
        "previous_response_id",
      );
    history = found;
  }
  const inputItems = inputItemsOf(body.input);
  const built = toPrompt(body.instructions, [...history, ...inputItems]);
  if ("problem" in built) return openAiError(400, built.problem, "invalid_request_error", "invalid_request", "input");

  const ctx = {
    tenantId: principal.tenantId,
    apiKeyId: principal.apiKeyId,
    feature: "api",
    cache: cacheControlFrom(request.headers),
    signal: request.signal,
    admission: gate,
  };
  const generateRequest = toGenerateRequest(body, role, built.prompt);
  const id = `resp_${randomBytes(16).toString("hex")}`;
  const createdAt = Math.floor(Date.now() / 1000);
  const keep = async (answer: { model: string }, output: OutputItem[]) => {
    if (body.store === false) return;
    await storeResponse({
      id,
      tenantId: principal.tenantId,
      apiKeyId: principal.apiKeyId,
      previousResponseId: body.previous_response_id ?? null,
      model: answer.model,
      inputItems,
      outputItems: output,
    }).catch((error: unknown) => log.error({ err: error, responseId: id }, "api/v1/responses: could not store the response"));
  };

  if (!body.stream) {
    try {
      const result = await getGateway().generate(ctx, generateRequest);
      const output = outputItemsOf(result);
      await keep(result, output);
      const shell: ResponseShell = { id, createdAt, model: result.model, body };
      return Response.json(responseObject(shell, { status: result.finishReason === "length" ? "incomplete" : "completed", output, usage: result.usage }), {
        headers: keelHeaders(result),
      });
    } catch (error) {
      return errorToResponse(error);
    }
  }

  // Streaming: a failure before the first token still gets a proper HTTP status.
  let stream;
  try {
    stream = await getGateway().stream(ctx, generateRequest);
  } catch (error) {
    return errorToResponse(error);
  }
  const events = responseEvents(stream, { id, createdAt, model: stream.model, body }, keep);
  return eventStreamResponse(events, keelHeaders(stream));
}
