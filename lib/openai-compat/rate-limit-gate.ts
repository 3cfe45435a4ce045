// One API request's rate-limit admission, handed to the gateway as its caller's admission: the
// gateway tells it the call's token estimate before the cache and quota (so the estimate is
// counted once, by the gateway), and the tokens used once the call is recorded. A request with
// n choices makes n gateway calls: one request, their tokens together.
import { getGateway, isGatewayError } from "@/lib/ai";
import { apiRateLimitsEnabled, getApiRateLimiter, type RateLimitedCall, type RateLimitState } from "@/lib/ai/rate-limits";
import type { CallAdmission } from "@/lib/ai/types";
import type { ApiKeyPrincipal } from "@/lib/auth/api-keys";

export class ApiRequestGate implements CallAdmission {
  private admission: Promise<void> | null = null;
  private call: RateLimitedCall | null = null;
  private calls = 1;
  private readonly settled = new Set<string>();
  private usedTokens = 0;
  /** The allowances after this request was counted (or refused); null before, or when limits are off. */
  state: RateLimitState | null = null;

  constructor(
    private readonly principal: ApiKeyPrincipal,
    private readonly enabled = apiRateLimitsEnabled(),
  ) {}

  get counted(): boolean {
    return this.admission !== null;
  }

  /** Before the calls start: how many gateway calls this request makes (n choices). */
  expectCalls(count: number): void {
    this.calls = count;
  }

  admit(_requestId: string, estimatedTokens: number): Promise<void> {
    // The first call counts the request and every call's estimate; the others wait for its verdict.
    this.admission ??= this.count(estimatedTokens * this.calls);
    return this.admission;
  }

  settle(requestId: string, usedTokens: number): void {
    if (this.settled.has(requestId)) return;
    this.settled.add(requestId);
    this.usedTokens += usedTokens;
    if (this.settled.size === this.calls) this.call?.settle(this.usedTokens);
  }

  private async count(tokens: number): Promise<void> {
    if (!this.enabled) return;
    const profile = await getGateway().profile(this.principal.tenantId);
    try {
      this.call = await getApiRateLimiter().admit({ tenantId: this.principal.tenantId, apiKeyId: this.principal.apiKeyId, limits: profile.rateLimits, tokens });
      this.state = this.call.state;
    } catch (error) {
      if (isGatewayError(error) && error.rateLimit?.state) this.state = error.rateLimit.state;
      throw error;
    }
  }
}
