// Gateway failures a caller can act on. Each maps to one HTTP status and one OpenAI error type.
// Messages are written for tenants: they never quote a provider's own error text or its URL
// (those go to the logs).
import type { ModelTarget, RateLimitState, Reservation } from "./types";

export type GatewayErrorCode =
  | "quota_exceeded" // hard limit reached (402)
  | "rate_limited" // an API key's or its workspace's requests or tokens per minute (429)
  | "invalid_request" // our validation or the provider's 400 (400)
  | "provider_rejected" // 401/403/content policy from the provider: retrying cannot help (502)
  | "providers_unavailable" // every provider failed or was skipped (503)
  | "stream_interrupted" // the provider failed after tokens were sent
  | "output_invalid" // structured output failed validation after one repair (422)
  | "no_route" // no configured provider serves this role (503)
  | "cancelled" // the caller went away or aborted (499, nginx's "client closed request")
  | "service_unavailable"; // Keel's own database could not be reached (503)

const statusOf: Record<GatewayErrorCode, number> = {
  quota_exceeded: 402,
  rate_limited: 429,
  invalid_request: 400,
  provider_rejected: 502,
  providers_unavailable: 503,
  stream_interrupted: 502,
  output_invalid: 422,
  no_route: 503,
  cancelled: 499,
  service_unavailable: 503,
};

export interface QuotaRefusal {
  limit: "tokens" | "usd" | "member_tokens";
  /** ISO time the monthly period resets (UTC). */
  resetsAt: string;
}

export interface RateLimitRefusal {
  retryAfterMs: number;
  limit: "requests" | "tokens";
  /** The allowances when refused, for the x-ratelimit-* headers (absent: not known). */
  state?: RateLimitState;
}

// Next.js can load this module more than once per process (route handlers and pages get their
// own module instances, while the gateway lives on globalThis), so `instanceof` is unreliable:
// errors carry a process-wide brand instead.
const brand = Symbol.for("keel.GatewayError");

export class GatewayError extends Error {
  readonly [brand] = true;
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly quota?: QuotaRefusal;
  /** For a cancelled call: the model a request had already been sent to (it is billed for its input). */
  readonly sentTo?: ModelTarget;
  /** For a failed admission: a reservation the database may have made anyway, to be released. */
  readonly pendingReservation?: Reservation;
  readonly rateLimit?: RateLimitRefusal;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { cause?: unknown; quota?: QuotaRefusal; sentTo?: ModelTarget; pendingReservation?: Reservation; rateLimit?: RateLimitRefusal } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.status = statusOf[code];
    this.quota = options.quota;
    this.sentTo = options.sentTo;
    this.pendingReservation = options.pendingReservation;
    this.rateLimit = options.rateLimit;
  }
}

export function isGatewayError(error: unknown): error is GatewayError {
  return typeof error === "object" && error !== null && (error as { [brand]?: boolean })[brand] === true;
}
