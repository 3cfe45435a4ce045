// The process-wide API rate limiter (see ./api-rate-limiter.ts).
import { processSingleton } from "@/core/process-singleton";
import { ApiRateLimiter } from "./api-rate-limiter";

export { ApiRateLimiter, type RateLimitedCall } from "./api-rate-limiter";
export type { Allowance, RateLimitState } from "../types";

export function getApiRateLimiter(): ApiRateLimiter {
  return processSingleton("ai:api-rate-limiter", () => new ApiRateLimiter());
}

/** `KEEL_API_RATE_LIMITS=off` turns them off (a deployment whose own proxy limits its callers). */
export function apiRateLimitsEnabled(env: Record<string, string | undefined> = process.env): boolean {
  const value = env.KEEL_API_RATE_LIMITS?.trim().toLowerCase();
  if (value === undefined || value === "" || value === "on") return true;
  if (value === "off") return false;
  throw new Error("KEEL_API_RATE_LIMITS must be 'on' or 'off'");
}
