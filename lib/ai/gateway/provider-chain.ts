// Stage 4: the provider chain. Retries with backoff on retriable failures (honouring Retry-After),
// then the next provider; a fatal failure stops at once; the circuit breaker skips a provider
// that keeps failing.
import { timeoutsFor } from "../config";
import { GatewayError } from "../errors";
import { backoffDelayMs, classifyFailure, TimeoutFailure } from "../retry";
import type { ModelTarget } from "../types";
import { log } from "@/core/log";
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
 * token). Whatever happens, a half-open probe is given back: a probe that ended in a caller's abort
 * or a 4xx would otherwise hold the provider closed on this worker forever.
 */
export async function runChain<T>(
  rt: GatewayRuntime,
  chain: ModelTarget[],
  timeoutMs: (target: ModelTarget) => number,
  signal: AbortSignal | undefined,
  attempt: (target: ModelTarget, signal: AbortSignal) => Promise<T>,
): Promise<Attempted<T>> {
  let attempts = 0;
  let lastSummary = "no provider was available";
  for (const [index, target] of chain.entries()) {
    const breakerKey = target.provider;
    if (!rt.breaker.allow(breakerKey)) {
      lastSummary = `${target.provider} is paused after repeated failures or a rate limit`;
      continue;
    }
    for (let retry = 0; retry <= rt.config.retry.maxRetries; retry++) {
      if (signal?.aborted) {
        rt.breaker.release(breakerKey);
        throw new GatewayError("cancelled", "The request was cancelled.", { cause: signal.reason, sentTo: attempts > 0 ? target : undefined });
      }
      attempts++;
      const controller = linkedController(signal);
      const ms = timeoutMs(target);
      const timer = setTimeout(() => controller.abort(new TimeoutFailure("first-token", ms)), ms);
      try {
        const value = await attempt(target, controller.signal);
        rt.breaker.success(breakerKey);
        return { value, target, fallbackCount: index, attempts };
      } catch (thrown) {
        if (signal?.aborted) {
          rt.breaker.release(breakerKey);
          throw new GatewayError("cancelled", "The request was cancelled.", { cause: thrown, sentTo: target });
        }
        const error = controller.signal.reason instanceof TimeoutFailure ? controller.signal.reason : thrown;
        const failure = classifyFailure(error);
        lastSummary = `${target.provider} ${failure.summary}`;
        log.warn(
          { provider: target.provider, model: target.model, status: failure.status, kind: failure.kind, reason: failure.reason, retry },
          "provider call failed",
        );
        if (failure.kind === "fatal") {
          rt.breaker.release(breakerKey);
          const code = failure.status === 400 || failure.status === 422 ? "invalid_request" : "provider_rejected";
          throw new GatewayError(code, `The AI provider ${target.provider} ${failure.summary}.`, { cause: thrown });
        }
        if (failure.status === 429) rt.breaker.rateLimited(breakerKey, failure.retryAfterMs);
        else rt.breaker.failure(breakerKey);
        const tooLong = (failure.retryAfterMs ?? 0) > rt.config.retry.maxRetryAfterMs;
        if (retry === rt.config.retry.maxRetries || tooLong || rt.breaker.isOpen(breakerKey)) break;
        await rt.sleep(backoffDelayMs(retry, rt.config.retry, failure.retryAfterMs, () => rt.random()));
      } finally {
        clearTimeout(timer);
      }
    }
  }
  throw new GatewayError("providers_unavailable", `Every AI provider failed; the last: ${lastSummary}. Try again shortly.`);
}
