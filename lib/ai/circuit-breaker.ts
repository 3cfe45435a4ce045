// Skips a provider after repeated failures, then lets one probe through after a cool-down.
// Per process: each app instance learns on its own, which is enough to stop hammering a
// provider that is down.

type State = { failures: number; openedAt: number | null; probing: boolean };

export class CircuitBreaker {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly policy: { failureThreshold: number; cooldownMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  private state(key: string): State {
    let state = this.states.get(key);
    if (!state) {
      state = { failures: 0, openedAt: null, probing: false };
      this.states.set(key, state);
    }
    return state;
  }

  /** True when a call may go to this provider now (closed, or half-open and nobody probing). */
  allow(key: string): boolean {
    const state = this.state(key);
    if (state.openedAt === null) return true;
    if (this.now() - state.openedAt < this.policy.cooldownMs || state.probing) return false;
    state.probing = true; // half-open: exactly one probe
    return true;
  }

  success(key: string): void {
    this.states.set(key, { failures: 0, openedAt: null, probing: false });
  }

  failure(key: string): void {
    const state = this.state(key);
    state.failures += 1;
    if (state.probing || state.failures >= this.policy.failureThreshold) state.openedAt = this.now();
    state.probing = false;
  }

  isOpen(key: string): boolean {
    const state = this.states.get(key);
    return state?.openedAt !== null && state !== undefined;
  }
}
