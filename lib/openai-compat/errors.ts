// Errors in OpenAI's shape, so the official client raises its usual exception types.
import { isGatewayError, type GatewayError } from "@/lib/ai/errors";
import { log } from "@/core/log";

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; keel_quota?: { limit: string; resets_at: string } };
}

export function openAiError(status: number, message: string, type: string, code: string | null, param: string | null = null): Response {
  const body: OpenAiErrorBody = { error: { message, type, param, code } };
  return Response.json(body, { status });
}

function gatewayErrorBody(error: GatewayError): OpenAiErrorBody {
  const type =
    error.code === "quota_exceeded"
      ? "insufficient_quota"
      : error.code === "rate_limited"
        ? // OpenAI's own: the kind of limit ("requests" or "tokens"), with code rate_limit_exceeded.
          (error.rateLimit?.limit ?? "requests")
        : error.code === "invalid_request" || error.code === "output_invalid"
          ? "invalid_request_error"
          : "server_error";
  return {
    error: {
      message: error.message,
      type,
      param: null,
      code: error.code === "rate_limited" ? "rate_limit_exceeded" : error.code,
      ...(error.quota ? { keel_quota: { limit: error.quota.limit, resets_at: error.quota.resetsAt } } : {}),
    },
  };
}

/** The error a stream's `error` part carries, as an OpenAI error event's body. */
export function streamErrorBody(error: unknown): OpenAiErrorBody {
  if (isGatewayError(error)) return gatewayErrorBody(error);
  log.error({ err: error }, "api/v1: unexpected error mid-stream");
  return { error: { message: "The answer stopped unexpectedly. Please try again.", type: "server_error", param: null, code: "stream_interrupted" } };
}

export function errorToResponse(error: unknown): Response {
  if (isGatewayError(error)) {
    // OpenAI's clients wait as long as Retry-After (or retry-after-ms) says before retrying a 429.
    const retry = error.rateLimit
      ? {
          "retry-after": String(Math.max(1, Math.ceil(error.rateLimit.retryAfterMs / 1000))),
          "retry-after-ms": String(Math.ceil(error.rateLimit.retryAfterMs)),
        }
      : undefined;
    return Response.json(gatewayErrorBody(error), { status: error.status, headers: retry });
  }
  log.error({ err: error }, "api/v1: unexpected error");
  return openAiError(500, "Something went wrong on our side. Please try again.", "server_error", "internal_error");
}
