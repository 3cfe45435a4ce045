// The guard for /api/v1: a tenant API key in `Authorization: Bearer …`, or an OpenAI-shaped 401.
import { authenticateApiKey, type ApiKeyPrincipal } from "@/lib/auth/api-keys";
import type { z } from "zod";
import { errorToResponse, openAiError } from "./errors";
import { describeIssue } from "./schemas";
import { readCappedText } from "@/lib/http/read-capped-body";
import { ApiRequestGate } from "./rate-limit-gate";
import { withRateLimitHeaders } from "./rate-limit-headers";

/**
 * Every request with a valid key counts against its rate limits: a model call through the
 * gateway (which tells the gate its token estimate), anything else (a listing, a refused body) as
 * one request and no tokens. Every answer to a valid key carries the x-ratelimit-* headers.
 */
export function withApiKey(handler: (request: Request, principal: ApiKeyPrincipal, gate: ApiRequestGate) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    const header = request.headers.get("authorization") ?? "";
    const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!key)
      return openAiError(
        401,
        "Missing API key. Send it as 'Authorization: Bearer keel_…'. Create keys in Settings.",
        "invalid_request_error",
        "invalid_api_key",
      );
    try {
      const principal = await authenticateApiKey(key);
      if (!principal) return openAiError(401, "Incorrect API key provided, or the key was revoked.", "invalid_request_error", "invalid_api_key");
      const gate = new ApiRequestGate(principal);
      const response = await handler(request, principal, gate).catch(errorToResponse);
      if (!gate.counted) {
        const refused = await gate.admit("request", 0).then(
          () => null,
          (error: unknown) => errorToResponse(error),
        );
        if (refused) return withRateLimitHeaders(refused, gate.state);
      }
      return withRateLimitHeaders(response, gate.state);
    } catch (error) {
      return errorToResponse(error);
    }
  };
}

/** Bodies above this are refused as they arrive, on every path (the production server and `next dev`). */
const MAX_REQUEST_BYTES = 2_000_000;

const tooLarge = (maxBytes = MAX_REQUEST_BYTES) =>
  openAiError(413, `Request body too large (limit ${maxBytes} bytes).`, "invalid_request_error", "request_too_large");

/**
 * Reads and validates a JSON body of bounded size; a refusal is an OpenAI-shaped 4xx. Called by
 * handlers after withApiKey, so an unauthenticated caller's body is never read.
 */
export async function parseJsonRequest<S extends z.ZodType>(
  request: Request,
  schema: S,
  maxBytes = MAX_REQUEST_BYTES,
): Promise<{ ok: true; value: z.infer<S> } | { ok: false; response: Response }> {
  const text = await readCappedText(request, maxBytes);
  if (text === null) return { ok: false, response: tooLarge(maxBytes) };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, response: openAiError(400, "The request body is not valid JSON.", "invalid_request_error", "invalid_json") };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeIssue(parsed.error);
    return { ok: false, response: openAiError(400, message, "invalid_request_error", "invalid_request", param) };
  }
  return { ok: true, value: parsed.data };
}
