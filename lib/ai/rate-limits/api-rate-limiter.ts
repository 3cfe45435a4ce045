// Requests and tokens per minute on the OpenAI-compatible API, for each key and for the whole
// workspace, counted by rate-limiter-flexible's RateLimiterPostgres over Keel's tenant-scoped store
// client (./store-client.ts): the four counters of a call cost one round trip together.
//
// - Fixed one-minute windows, shared by every process (PostgreSQL) or held by the one process of
//   the embedded database.
// - Tokens: the call's estimate (prompt plus the most it may write) is counted before it runs; the
//   difference to what it really used is settled afterwards, in the same window only.
// - A refused call costs nothing but the request that was over: its other counters are given back.
// - A key or workspace over its request limit is remembered in this process's memory until its
//   window ends (rate-limiter-flexible's in-memory block), so a flood of refused calls never
//   reaches the database; when the database fails, each process counts in memory (the insurance
//   limiter) rather than refusing everything.
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterRes } from "rate-limiter-flexible";
import { GatewayError } from "../errors";
import type { RateLimits } from "../plans";
import type { Allowance, RateLimitState } from "../types";
import { TenantScopedStoreClient, type StoreRow } from "./store-client";

const WINDOW_SECONDS = 60;

type Counter = "key-requests" | "key-tokens" | "workspace-requests" | "workspace-tokens";

export interface RateLimitedCall {
  state: RateLimitState;
  /** The tokens the call really used (call once). */
  settle(usedTokens: number): void;
}

// The window a store result belongs to: settlements go to that window, never to a later one.
const windowEnds = new WeakMap<RateLimiterRes, number>();

interface PostgresStoreInternals {
  _getRateLimiterRes(rlKey: string, changedPoints: number, result: { rows: StoreRow[] }): RateLimiterRes;
}
interface MemoryBlockInternals {
  getKey(key: string): string;
  getInMemoryBlockMsBeforeExpire(rlKey: string): number;
}
const baseResult = (RateLimiterPostgres.prototype as unknown as PostgresStoreInternals)._getRateLimiterRes;

/** RateLimiterPostgres whose results remember their window's end. */
class WindowedRateLimiter extends RateLimiterPostgres {
  _getRateLimiterRes(rlKey: string, changedPoints: number, result: { rows: StoreRow[] }): RateLimiterRes {
    const res = baseResult.call(this, rlKey, changedPoints, result);
    windowEnds.set(res, result.rows[0]!.expire);
    return res;
  }
}

interface Plan {
  counter: Counter;
  key: string;
  points: number;
  cost: number;
}

interface Outcome extends Plan {
  res: RateLimiterRes | null;
  refused: boolean;
  error: unknown;
}

export class ApiRateLimiter {
  private readonly limiters = new Map<string, WindowedRateLimiter>();

  constructor(readonly client: TenantScopedStoreClient = new TenantScopedStoreClient()) {}

  /**
   * Counts one request and `tokens` against the key's and the workspace's limits, or throws a
   * `rate_limited` GatewayError (HTTP 429) saying which limit and when to retry.
   */
  async admit(input: { tenantId: string; apiKeyId: string; limits: RateLimits; tokens: number }): Promise<RateLimitedCall> {
    const { tenantId, apiKeyId, limits } = input;
    const tokens = Math.max(0, Math.ceil(input.tokens));
    const plans: Plan[] = [
      { counter: "key-requests", key: `${tenantId}:${apiKeyId}`, points: limits.keyRequestsPerMinute, cost: 1 },
      { counter: "key-tokens", key: `${tenantId}:${apiKeyId}`, points: limits.keyTokensPerMinute, cost: tokens },
      { counter: "workspace-requests", key: tenantId, points: limits.workspaceRequestsPerMinute, cost: 1 },
      { counter: "workspace-tokens", key: tenantId, points: limits.workspaceTokensPerMinute, cost: tokens },
    ];

    // Over a request limit already (known in this process): refused without a database round trip.
    for (const plan of plans) {
      const limiter = this.limiter(plan.counter, plan.points) as unknown as MemoryBlockInternals;
      const blockedMs = limiter.getInMemoryBlockMsBeforeExpire(limiter.getKey(plan.key));
      if (blockedMs > 0) throw refusal(plan, blockedMs, { requests: exhausted(plans[0]!, plans[2]!, blockedMs), tokens: unknownTokens(plans) });
    }
    // A call that could never fit in a window: say so, rather than make the client wait for one.
    const tooLarge = plans.find((plan) => plan.counter.endsWith("tokens") && plan.cost > plan.points);
    if (tooLarge) {
      throw new GatewayError(
        "rate_limited",
        `This request may use up to ${tokens} tokens, more than the ${scopeOf(tooLarge)} allows in a minute (${tooLarge.points}). Lower max_tokens or shorten the input.`,
        { rateLimit: { retryAfterMs: WINDOW_SECONDS * 1000, limit: "tokens" } },
      );
    }

    const outcomes = await Promise.all(
      plans.map((plan) =>
        this.limiter(plan.counter, plan.points)
          .consume(plan.key, plan.cost)
          .then(
            (res): Outcome => ({ ...plan, res, refused: false, error: null }),
            (reason: unknown): Outcome =>
              isResult(reason) ? { ...plan, res: reason, refused: true, error: null } : { ...plan, res: null, refused: false, error: reason },
          ),
      ),
    );
    const failed = outcomes.find((o) => o.error !== null);
    if (failed) {
      this.giveBack(outcomes);
      throw new GatewayError("service_unavailable", "Keel could not check this key's rate limits. Please try again shortly.", { cause: failed.error });
    }
    const state = stateOf(outcomes);
    const refused = outcomes.filter((o) => o.refused);
    if (refused.length > 0) {
      this.giveBack(outcomes);
      const worst = refused.reduce((a, b) => (a.res!.msBeforeNext >= b.res!.msBeforeNext ? a : b));
      throw refusal(worst, worst.res!.msBeforeNext, state);
    }

    let settled = false;
    return {
      state,
      settle: (usedTokens: number) => {
        if (settled) return;
        settled = true;
        const delta = Math.max(0, Math.ceil(usedTokens)) - tokens;
        if (delta === 0) return;
        for (const outcome of outcomes) if (outcome.counter.endsWith("tokens")) this.settleOne(outcome, delta);
      },
    };
  }

  /** A refused call's points go back to every counter but those that refused it. */
  private giveBack(outcomes: Outcome[]): void {
    for (const outcome of outcomes) if (!outcome.refused && outcome.res && outcome.cost > 0) this.settleOne(outcome, -outcome.cost);
  }

  private settleOne(outcome: Outcome, delta: number): void {
    const windowEnd = outcome.res ? windowEnds.get(outcome.res) : undefined;
    // Counted by the insurance limiter (database unreachable): that count is per process and short-lived.
    if (windowEnd === undefined) return;
    const limiter = this.limiter(outcome.counter, outcome.points) as unknown as MemoryBlockInternals;
    this.client.settle(limiter.getKey(outcome.key), delta, windowEnd);
  }

  /** One limiter per counter and limit: a changed limit takes effect with the next call, its count kept. */
  private limiter(counter: Counter, points: number): WindowedRateLimiter {
    const id = `${counter}:${points}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const requests = counter.endsWith("requests");
      limiter = new WindowedRateLimiter({
        storeClient: this.client,
        storeType: "client",
        tableName: "api_rate_limits",
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: counter,
        points,
        duration: WINDOW_SECONDS,
        // Once over a request limit, the key stays refused in memory until its window ends. Not
        // for tokens: a smaller call may still fit in what is left.
        ...(requests ? { inMemoryBlockOnConsumed: points + 1 } : {}),
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: counter, points, duration: WINDOW_SECONDS }),
      });
      if (this.limiters.size >= 1_000) this.limiters.delete(this.limiters.keys().next().value as string);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

const isResult = (value: unknown): value is RateLimiterRes =>
  typeof value === "object" && value !== null && "msBeforeNext" in value && !(value instanceof Error);

const scopeOf = (plan: Plan) => (plan.counter.startsWith("key") ? "API key" : "workspace");

/** What the headers report: of the key's and the workspace's allowances, the one with less left. */
function tighter(a: Allowance, b: Allowance): Allowance {
  if (a.remaining !== b.remaining) return a.remaining < b.remaining ? a : b;
  return a.limit <= b.limit ? a : b;
}

const allowanceOf = (outcome: Outcome): Allowance => ({
  limit: outcome.points,
  remaining: outcome.res!.remainingPoints,
  resetMs: Math.max(0, outcome.res!.msBeforeNext),
});

function stateOf(outcomes: Outcome[]): RateLimitState {
  const [keyRequests, keyTokens, workspaceRequests, workspaceTokens] = outcomes.map(allowanceOf) as [Allowance, Allowance, Allowance, Allowance];
  return { requests: tighter(keyRequests, workspaceRequests), tokens: tighter(keyTokens, workspaceTokens) };
}

function exhausted(key: Plan, workspace: Plan, resetMs: number): Allowance {
  return { limit: Math.min(key.points, workspace.points), remaining: 0, resetMs };
}

/** Refused from memory, without reading the token counters: report their limit, as a client needs it. */
function unknownTokens(plans: Plan[]): Allowance {
  const limit = Math.min(plans[1]!.points, plans[3]!.points);
  return { limit, remaining: limit, resetMs: 0 };
}

function refusal(plan: Plan, retryAfterMs: number, state: RateLimitState): GatewayError {
  const what = plan.counter.endsWith("requests") ? "requests" : "tokens";
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GatewayError("rate_limited", `Rate limit reached for this ${scopeOf(plan)}: ${plan.points} ${what} per minute. Try again in ${seconds} s.`, {
    rateLimit: { retryAfterMs, limit: what, state },
  });
}
