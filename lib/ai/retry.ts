// Which provider failures are worth another try, and how long to wait before it.
import { APICallError } from "@ai-sdk/provider";

export type FailureKind =
  /** 429, 5xx, timeouts, dropped connections: retry, then fall back. */
  | "retriable"
  /** 400, 401/403, content policy: no other attempt can succeed. */
  | "fatal";

export interface ClassifiedFailure {
  kind: FailureKind;
  status?: number;
  /** Milliseconds the provider asked us to wait (Retry-After). */
  retryAfterMs?: number;
  reason: string;
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

function retryAfterMs(headers: Record<string, string> | undefined, now: number): number | undefined {
  const value = headers?.["retry-after"] ?? headers?.["Retry-After"];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const contentPolicy = /content[_ -]?(policy|filter|management)|safety|blocked/i;

export function classifyFailure(error: unknown, now = Date.now()): ClassifiedFailure {
  if (error instanceof TimeoutFailure) return { kind: "retriable", reason: error.message };
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const reason = error.message;
    // No status, or a 200 whose body broke off (isRetryable): the connection failed, not the request.
    if (status === undefined || (status < 400 && error.isRetryable)) return { kind: "retriable", reason: `connection failed: ${reason}` };
    if (status === 429 || status === 408 || status === 409 || status >= 500) {
      return { kind: "retriable", status, retryAfterMs: retryAfterMs(error.responseHeaders, now), reason };
    }
    if (contentPolicy.test(`${reason} ${error.responseBody ?? ""}`)) return { kind: "fatal", status, reason: `content policy: ${reason}` };
    return { kind: "fatal", status, reason };
  }
  // fetch() network errors (ECONNRESET, ECONNREFUSED, "terminated") surface as TypeErrors.
  if (error instanceof TypeError || (error instanceof Error && /ECONN|socket|terminated|network|fetch failed/i.test(error.message))) {
    return { kind: "retriable", reason: `connection failed: ${error.message}` };
  }
  return { kind: "fatal", reason: error instanceof Error ? error.message : String(error) };
}

/** Exponential backoff with full jitter, never shorter than what the provider asked for. */
export function backoffDelayMs(attempt: number, policy: { baseDelayMs: number; maxDelayMs: number }, retryAfter?: number, random = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.max(jittered, retryAfter ?? 0);
}
