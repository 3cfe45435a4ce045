// The gateway's settings, read once from the environment (or built directly by tests).
import { z } from "zod";
import { pricingFromEnv, type PricingTable } from "./pricing";
import { routesFromEnv, type RouteTable } from "./routing";
import type { LanguageRole, ProviderName } from "./types";

export interface ProviderSettings {
  name: Exclude<ProviderName, "offline">;
  apiKey: string;
  baseURL?: string;
}

export interface TimeoutSettings {
  /** From the request to the first token (or the whole answer when not streaming). */
  firstTokenMs: number;
  /** Longest silence between two streamed chunks. */
  idleMs: number;
  /** A whole non-streaming call. */
  totalMs: number;
}

export interface GatewayConfig {
  /** Configured providers, in preference order. Empty: offline mode. */
  providers: ProviderSettings[];
  compatibleModels: { language?: string; embedding?: string };
  routes: RouteTable;
  pricing: PricingTable;
  timeouts: TimeoutSettings;
  timeoutsByProvider: Partial<Record<ProviderName, Partial<TimeoutSettings>>>;
  retry: { maxRetries: number; baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };
  breaker: { failureThreshold: number; cooldownMs: number };
  cache: { ttlSeconds: number; semanticThresholds: Record<string, number> };
  defaultMaxOutputTokens: Record<LanguageRole, number>;
  promptVersion: string;
  /** How long a reservation may stay unsettled before the sweep releases it. */
  reservationTtlMs: number;
  /** How long tenant profiles and API keys stay cached in memory. */
  profileTtlMs: number;
  embeddingDimensions: number;
  /** Tiny per-token delay for the offline model's stream (0 in tests and benchmarks). */
  offlineTokenDelayMs: number;
}

export const baseGatewayConfig: GatewayConfig = {
  providers: [],
  compatibleModels: {},
  routes: routesFromEnv(undefined),
  pricing: pricingFromEnv(undefined),
  timeouts: { firstTokenMs: 30_000, idleMs: 60_000, totalMs: 180_000 },
  timeoutsByProvider: {},
  retry: { maxRetries: 2, baseDelayMs: 250, maxDelayMs: 4_000, maxRetryAfterMs: 10_000 },
  breaker: { failureThreshold: 5, cooldownMs: 30_000 },
  cache: { ttlSeconds: 24 * 3600, semanticThresholds: { chat: 0.95 } },
  defaultMaxOutputTokens: { chat: 1_024, analysis: 2_048, title: 64 },
  promptVersion: "1",
  reservationTtlMs: 15 * 60_000,
  profileTtlMs: 10_000,
  embeddingDimensions: 384,
  offlineTokenDelayMs: 0,
};

/** Feature → minimum cosine similarity for a semantic cache hit, e.g. {"chat": 0.95}. */
const thresholdsSchema = z.record(z.string(), z.number().min(0).max(1));

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const available: ProviderSettings[] = [];
  if (env.OPENAI_API_KEY) available.push({ name: "openai", apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL || undefined });
  if (env.GOOGLE_GENERATIVE_AI_API_KEY) {
    available.push({ name: "google", apiKey: env.GOOGLE_GENERATIVE_AI_API_KEY, baseURL: env.GOOGLE_GENERATIVE_AI_BASE_URL || undefined });
  }
  if (env.OPENAI_COMPATIBLE_BASE_URL) {
    available.push({ name: "compatible", apiKey: env.OPENAI_COMPATIBLE_API_KEY ?? "", baseURL: env.OPENAI_COMPATIBLE_BASE_URL });
  }
  const order = (env.KEEL_PROVIDER_ORDER ?? "openai,google,compatible").split(",").map((s) => s.trim());
  const providers = [...available].sort((a, b) => (order.indexOf(a.name) + 1 || 99) - (order.indexOf(b.name) + 1 || 99));
  return {
    ...baseGatewayConfig,
    providers,
    compatibleModels: { language: env.OPENAI_COMPATIBLE_MODEL || undefined, embedding: env.OPENAI_COMPATIBLE_EMBEDDING_MODEL || undefined },
    routes: routesFromEnv(env.KEEL_ROUTES),
    pricing: pricingFromEnv(env.KEEL_PRICING),
    timeouts: {
      firstTokenMs: number(env, "KEEL_FIRST_TOKEN_TIMEOUT_MS", baseGatewayConfig.timeouts.firstTokenMs),
      idleMs: number(env, "KEEL_STREAM_IDLE_TIMEOUT_MS", baseGatewayConfig.timeouts.idleMs),
      totalMs: number(env, "KEEL_PROVIDER_TIMEOUT_MS", baseGatewayConfig.timeouts.totalMs),
    },
    retry: { ...baseGatewayConfig.retry, maxRetries: number(env, "KEEL_MAX_RETRIES", baseGatewayConfig.retry.maxRetries) },
    cache: {
      ttlSeconds: number(env, "KEEL_CACHE_TTL_SECONDS", baseGatewayConfig.cache.ttlSeconds),
      semanticThresholds: env.KEEL_SEMANTIC_CACHE ? thresholdsSchema.parse(JSON.parse(env.KEEL_SEMANTIC_CACHE)) : baseGatewayConfig.cache.semanticThresholds,
    },
    offlineTokenDelayMs: number(env, "KEEL_OFFLINE_TOKEN_DELAY_MS", 0),
  };
}

export function timeoutsFor(config: GatewayConfig, provider: ProviderName): TimeoutSettings {
  return { ...config.timeouts, ...config.timeoutsByProvider[provider] };
}
