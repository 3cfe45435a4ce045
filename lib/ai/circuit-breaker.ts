// Skips a provider after repeated failures, then lets one probe through after a cool-down.
// Per process: each app instance learns on its own, which is enough to stop hammering a
// provider that is down.
//
// Only the provider's health counts: 5xx, timeouts and dropped connections. A caller's abort or a
// 4xx says nothing about it, so such an attempt just gives the probe back. A 429 is a rate limit,
// not an outage (and may be one tenant's burst): it pauses the provider for exactly as long as the
// provider asked, never for the breaker's whole cool-down.

interface State {
  failures: number;
  openedAt: number | null;
  /** A half-open probe is out; released by whatever outcome it has. */
  probing: boolean;
  /** Set by a 429's Retry-After: no calls before then. */
  pausedUntil: number;
}

export class CircuitBreaker {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly policy: { failureThreshold: number; cooldownMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  private state(key: string): State {
    let state = this.states.get(key);
    if (!state) {
      state = { failures: 0, openedAt: null, probing: false, pausedUntil: 0 };
      this.states.set(key, state);
    }
    return state;
  }

  /** True when a call may go to this provider now (closed, or half-open and nobody probing). */
  allow(key: string): boolean {
    const state = this.state(key);
    if (this.now() < state.pausedUntil) return false;
    if (state.openedAt === null) return true;
    if (this.now() - state.openedAt < this.policy.cooldownMs || state.probing) return false;
    state.probing = true; // half-open: exactly one probe
    return true;
  }

  success(key: string): void {
    this.states.set(key, { failures: 0, openedAt: null, probing: false, pausedUntil: 0 });
  }

  /** A failure of the provider's health (5xx, timeout, reset). */
  failure(key: string): void {
    const state = this.state(key);
    state.failures += 1;
    if (state.probing || state.failures >= this.policy.failureThreshold) state.openedAt = this.now();
    state.probing = false;
  }

  /** A 429: pause until the provider's Retry-After (if it gave one), without counting a failure. */
  rateLimited(key: string, retryAfterMs: number | undefined): void {
    const state = this.state(key);
    state.probing = false;
    if (retryAfterMs !== undefined) state.pausedUntil = Math.max(state.pausedUntil, this.now() + retryAfterMs);
  }

  /** The attempt ended without telling anything about the provider's health (a caller's abort, a 4xx). */
  release(key: string): void {
    const state = this.states.get(key);
    if (state) state.probing = false;
  }

  /** Every provider this breaker has seen and its state now, for the observability page. */
  snapshot(): Record<string, "closed" | "open" | "half_open" | "paused"> {
    const now = this.now();
    const states: Record<string, "closed" | "open" | "half_open" | "paused"> = {};
    for (const [key, state] of this.states) {
      if (now < state.pausedUntil) states[key] = "paused";
      else if (state.openedAt === null) states[key] = "closed";
      else states[key] = state.probing || now - state.openedAt >= this.policy.cooldownMs ? "half_open" : "open";
    }
    return states;
  }

  isOpen(key: string): boolean {
    const state = this.states.get(key);
    return state !== undefined && state.openedAt !== null;
  }
}
