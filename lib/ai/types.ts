// Shared vocabulary of the gateway.
import type { PlanTier } from "@/db/schema";

/** What a call site asks for; model ids live only in the routing table. */
export type LanguageRole = "chat" | "analysis" | "title";
export type ModelRole = LanguageRole | "embedding";

export const providerNames = ["openai", "google", "compatible", "offline"] as const;
export type ProviderName = (typeof providerNames)[number];

export interface ModelTarget {
  provider: ProviderName;
  model: string;
}

export type Tier = PlanTier;

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Who is calling and how the gateway should treat the call. */
export interface CallContext {
  tenantId: string;
  userId?: string | null;
  apiKeyId?: string | null;
  /** What the call is for, in metering and quality counts: "chat", "api", "analysis"… */
  feature: string;
  /** Idempotency key for metering; generated when absent. */
  requestId?: string;
  cache?: CacheControl;
  /**
   * Ids of retrieved private chunks the prompt carries. `undefined`: the prompt holds no retrieved
   * context. `null`: it holds some whose ids are unknown, so the answer is never cached.
   */
  contextChunkIds?: readonly string[] | null;
  /** Bumped when a feature's prompt template changes, so old cached answers stop matching. */
  promptVersion?: string;
  /**
   * The question alone, when the prompt carries retrieved passages beside it: the semantic cache
   * compares questions. Embedding the whole turn would compare the passages, which the same
   * workspace's questions share, and answer one question with another's answer.
   */
  cacheQuestion?: string;
  signal?: AbortSignal;
  /** An admission the caller adds before the gateway's own (the API's rate limits). */
  admission?: CallAdmission;
}

/**
 * Told each call's token estimate before the cache and quota are consulted (and may refuse by
 * throwing), then the tokens the call used once it is recorded, whatever its outcome.
 */
export interface CallAdmission {
  admit(requestId: string, estimatedTokens: number): Promise<void>;
  settle(requestId: string, usedTokens: number): void;
}

export interface CacheControl {
  /** Do not read from the cache (still store the answer unless noStore). */
  noCache?: boolean;
  /** Do not store the answer. */
  noStore?: boolean;
  ttlSeconds?: number;
}

/** What admission reserved against a tenant's quota, settled once the call is over. */
export interface Reservation {
  id: string;
  tenantId: string;
  periodStart: string;
  userId: string | null;
  tokens: number;
  microUsd: number;
  /** Whether a per-member cap was charged too (settle must undo it). */
  memberCharged: boolean;
}

/** One limit as OpenAI's x-ratelimit-* headers describe it. */
export interface Allowance {
  limit: number;
  remaining: number;
  /** Until the window ends and the allowance is whole again. */
  resetMs: number;
}

/** A caller's API rate-limit allowances (the gateway's refusals carry them too). */
export interface RateLimitState {
  requests: Allowance;
  tokens: Allowance;
}
