// The guard for /api/v1: a tenant API key in `Authorization: Bearer …`, or an OpenAI-shaped 401.
import { authenticateApiKey, type ApiKeyPrincipal } from "@/lib/auth/api-keys";
import type { z } from "zod";
import { errorToResponse, openAiError } from "./errors";
import { describeIssue } from "./schemas";

export function withApiKey(handler: (request: Request, principal: ApiKeyPrincipal) => Promise<Response>) {
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
      return await handler(request, principal);
    } catch (error) {
      return errorToResponse(error);
    }
  };
}

/** Reads and validates a JSON body of bounded size; a refusal is an OpenAI-shaped 4xx. */
export async function parseJsonRequest<S extends z.ZodType>(
  request: Request,
  schema: S,
  maxBytes = 2_000_000,
): Promise<{ ok: true; value: z.infer<S> } | { ok: false; response: Response }> {
  const text = await request.text();
  if (text.length > maxBytes)
    return { ok: false, response: openAiError(413, `Request body too large (limit ${maxBytes} bytes).`, "invalid_request_error", "request_too_large") };
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
