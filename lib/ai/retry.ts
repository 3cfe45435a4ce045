// Which provider failures are worth another try, and how long to wait before it.
import { APICallError } from "@ai-sdk/provider";

type FailureKind =
  /** 429, 5xx, timeouts, dropped connections: retry, then fall back. */
  | "retriable"
  /** 400, 401/403, content policy: no other attempt can succeed. */
  | "fatal";

export interface ClassifiedFailure {
  kind: FailureKind;
  status?: number;
  /** Milliseconds the provider asked us to wait (Retry-After). */
  retryAfterMs?: number;
  /** For logs: may quote the provider's own error text. */
  reason: string;
  /** For tenants: what happened, in Keel's words, without the provider's text. */
  summary: string;
}

export class TimeoutFailure extends Error {
  constructor(
    readonly phase: "first-token" | "idle" | "total",
    ms: number,
  ) {
    super(`no ${phase === "first-token" ? "first token" : phase === "idle" ? "chunk" : "answer"} within ${ms} ms`);
    this.name = "TimeoutFailure";
  }
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** OpenAI sends `retry-after-ms` (precise) beside the standard `Retry-After` (seconds or a date). */
function retryAfterMs(headers: Record<string, string> | undefined, now: number): number | undefined {
  const precise = Number(header(headers, "retry-after-ms"));
  if (header(headers, "retry-after-ms") !== undefined && Number.isFinite(precise)) return Math.max(0, precise);
  const value = header(headers, "retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const contentPolicy = /content[_ -]?(policy|filter|management)|safety|blocked/i;

export function classifyFailure(error: unknown, now = Date.now()): ClassifiedFailure {
  if (error instanceof TimeoutFailure) return { kind: "retriable", reason: error.message, summary: "did not answer in time" };
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const reason = error.message;
    // No status, or a 200 whose body broke off (isRetryable): the connection failed, not the request.
    if (status === undefined || (status < 400 && error.isRetryable))
      return { kind: "retriable", reason: `connection failed: ${reason}`, summary: "could not be reached" };
    if (status === 429)
      return { kind: "retriable", status, retryAfterMs: retryAfterMs(error.responseHeaders, now), reason, summary: "is rate limiting requests (429)" };
    if (status === 408 || status === 409 || status >= 500) {
      return { kind: "retriable", status, retryAfterMs: retryAfterMs(error.responseHeaders, now), reason, summary: `had a server error (${status})` };
    }
    if (contentPolicy.test(`${reason} ${error.responseBody ?? ""}`)) {
      return { kind: "fatal", status, reason: `content policy: ${reason}`, summary: `refused the request under its content policy (${status})` };
    }
    if (status === 401 || status === 403)
      return { kind: "fatal", status, reason, summary: `refused Keel's credentials (${status}); an operator must check the provider key` };
    return { kind: "fatal", status, reason, summary: `rejected the request as invalid (${status}); check its size and parameters` };
  }
  // fetch() network errors (ECONNRESET, ECONNREFUSED, "terminated") surface as TypeErrors.
  if (error instanceof TypeError || (error instanceof Error && /ECONN|socket|terminated|network|fetch failed/i.test(error.message))) {
    return { kind: "retriable", reason: `connection failed: ${error.message}`, summary: "could not be reached" };
  }
  return { kind: "fatal", reason: error instanceof Error ? error.message : String(error), summary: "failed unexpectedly" };
}

/** Exponential backoff with full jitter, never shorter than what the provider asked for. */
export function backoffDelayMs(attempt: number, policy: { baseDelayMs: number; maxDelayMs: number }, retryAfter?: number, random = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.max(jittered, retryAfter ?? 0);
}
