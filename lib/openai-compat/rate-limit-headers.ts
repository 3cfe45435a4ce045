// OpenAI's rate-limit headers, on every /api/v1 answer to a known key.
import type { Allowance, RateLimitState } from "@/lib/ai/rate-limits";

/** A duration as OpenAI writes it (Go's style): "20ms", "1s", "59.5s", "6m0s". */
function formatReset(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1000) return `${whole}ms`;
  const minutes = Math.floor(whole / 60_000);
  const seconds = Number(((whole % 60_000) / 1000).toFixed(3));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

const trio = (suffix: "requests" | "tokens", allowance: Allowance): [string, string][] => [
  [`x-ratelimit-limit-${suffix}`, String(allowance.limit)],
  [`x-ratelimit-remaining-${suffix}`, String(allowance.remaining)],
  [`x-ratelimit-reset-${suffix}`, formatReset(allowance.resetMs)],
];

function rateLimitHeaders(state: RateLimitState): [string, string][] {
  return [...trio("requests", state.requests), ...trio("tokens", state.tokens)];
}

/** Sets them on a response (streams included: headers go out before the body). */
export function withRateLimitHeaders(response: Response, state: RateLimitState | null): Response {
  if (!state) return response;
  try {
    for (const [name, value] of rateLimitHeaders(state)) response.headers.set(name, value);
    return response;
  } catch {
    // A response with immutable headers (none of ours): copy it.
    const copy = new Response(response.body, response);
    for (const [name, value] of rateLimitHeaders(state)) copy.headers.set(name, value);
    return copy;
  }
}
