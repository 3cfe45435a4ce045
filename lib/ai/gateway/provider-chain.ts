// Stage 4: the provider chain. Retries with backoff on retriable failures (honouring Retry-After),
// then the next provider; a fatal failure stops at once; the circuit breaker skips a provider
// that keeps failing.
import { timeoutsFor } from "../config";
import { GatewayError } from "../errors";
import { backoffDelayMs, classifyFailure, TimeoutFailure } from "../retry";
import type { ModelTarget } from "../types";
import type { GatewayRuntime } from "./types";

export interface Attempted<T> {
  value: T;
  target: ModelTarget;
  fallbackCount: number;
  attempts: number;
}

/** A controller aborted with `outer`, so one attempt (or one stream) can be cancelled on its own. */
export function linkedController(outer?: AbortSignal): AbortController {
  const controller = new AbortController();
  if (outer) {
    if (outer.aborted) controller.abort(outer.reason);
    else outer.addEventListener("abort", () => controller.abort(outer.reason), { once: true });
  }
  return controller;
}

export const totalTimeout = (rt: GatewayRuntime) => (target: ModelTarget) => timeoutsFor(rt.config, target.provider).totalMs;
export const firstTokenTimeout = (rt: GatewayRuntime) => (target: ModelTarget) => timeoutsFor(rt.config, target.provider).firstTokenMs;

/**
 * Runs `attempt` along the chain. `timeoutMs` bounds each attempt (for streams: until the first
 * token).
 */
export async function runChain<T>(
  rt: GatewayRuntime,
  chain: ModelTarget[],
  timeoutMs: (target: ModelTarget) => number,
  signal: AbortSignal | undefined,
  attempt: (target: ModelTarget, signal: AbortSignal) => Promise<T>,
): Promise<Attempted<T>> {
  let attempts = 0;
  let lastReason = "no provider was available";
  for (const [index, target] of chain.entries()) {
    const breakerKey = target.provider;
    if (!rt.breaker.allow(breakerKey)) {
      lastReason = `${target.provider} is paused after repeated failures`;
      continue;
    }
    for (let retry = 0; retry <= rt.config.retry.maxRetries; retry++) {
      attempts++;
      const controller = linkedController(signal);
      const ms = timeoutMs(target);
      const timer = setTimeout(() => controller.abort(new TimeoutFailure("first-token", ms)), ms);
      try {
        const value = await attempt(target, controller.signal);
        rt.breaker.success(breakerKey);
        return { value, target, fallbackCount: index, attempts };
      } catch (thrown) {
        if (signal?.aborted) throw new GatewayError("invalid_request", "The request was cancelled.", { cause: thrown });
        const error = controller.signal.reason instanceof TimeoutFailure ? controller.signal.reason : thrown;
        const failure = classifyFailure(error);
        lastReason = `${target.provider}/${target.model}: ${failure.reason}`;
        if (failure.kind === "fatal") {
          const code = failure.status === 400 || failure.status === 422 ? "invalid_request" : "provider_rejected";
          throw new GatewayError(code, `The AI provider refused the request (${failure.status ?? "no status"}): ${failure.reason}`, { cause: thrown });
        }
        rt.breaker.failure(breakerKey);
        const tooLong = (failure.retryAfterMs ?? 0) > rt.config.retry.maxRetryAfterMs;
        if (retry === rt.config.retry.maxRetries || tooLong || rt.breaker.isOpen(breakerKey)) break;
        await rt.sleep(backoffDelayMs(retry, rt.config.retry, failure.retryAfterMs, () => rt.random()));
      } finally {
        clearTimeout(timer);
      }
    }
  }
  throw new GatewayError("providers_unavailable", `Every AI provider failed. Last error: ${lastReason}`);
}
