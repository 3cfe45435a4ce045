// The one path for every model call: route → cache → quota reserve → provider chain → meter.
// Chat, analysis, embeddings, structured outputs and the OpenAI-compatible API all come here.
// `Gateway` is the thin facade call sites use; each stage lives in its own module:
//   admission.ts          route, cache keys, estimate, cache lookup + quota reservation
//   provider-chain.ts     retries, backoff, fallback, circuit breaker
//   generate.ts / stream.ts / embed.ts    the kinds of call
//   structured-output.ts  the SDK's generateObject on the gateway's model, repaired once
//   records.ts            what the meter is told about each call
//   language-model.ts     the whole path as an AI SDK LanguageModelV3 (keelModel)
//   embedding-model.ts    the embedding path as an AI SDK EmbeddingModelV3 (keelEmbeddingModel)
import { LRUCache } from "lru-cache";
import { invalidationEpoch, listenForInvalidations, onInvalidation } from "@/db/invalidation";
import type { Db } from "@/db/client";
import { withTenant } from "@/db/scope";
import { CircuitBreaker } from "../circuit-breaker";
import type { GatewayConfig } from "../config";
import { GatewayError } from "../errors";
import { Meter } from "../meter";
import { ProviderRegistry } from "../providers";
import { resolveChain } from "../routing";
import { readTenantProfile, type TenantProfile } from "../tenant-profile";
import type { Attributes } from "@opentelemetry/api";
import { inSpan } from "@/lib/observability/tracing";
import type { CallContext, ModelRole, ModelTarget } from "../types";
import { embedValues } from "./embed";
import { generateCompletion, type ValidationCheck } from "./generate";
import { streamCompletion } from "./stream";
import type { CompletionResult, CompletionStream, EmbeddingResult, GatewayDeps, GatewayRuntime, GenerateRequest } from "./types";

export type { CompletionResult, CompletionStream, EmbeddingResult, GatewayDeps, GenerateRequest } from "./types";
export { GatewayLanguageModel, type GatewayCalls } from "./language-model";
export { GatewayEmbeddingModel, readKeelEmbedding, type GatewayEmbedCalls } from "./embedding-model";
export { generateValidatedObject, type ObjectRequest, type ObjectResult } from "./structured-output";
export { readKeelMetadata } from "./answer-metadata";

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Gateway implements GatewayRuntime {
  readonly registry: ProviderRegistry;
  readonly breaker: CircuitBreaker;
  readonly meter: Meter;
  readonly db: Db | undefined;
  private readonly profiles: LRUCache<string, TenantProfile>;

  constructor(
    readonly config: GatewayConfig,
    private readonly deps: GatewayDeps = {},
  ) {
    this.registry = new ProviderRegistry(config);
    this.breaker = new CircuitBreaker(config.breaker);
    // profileTtlMs 0 means "read every time" (tests); lru-cache would take a ttl of 0 as "forever".
    this.profiles = new LRUCache<string, TenantProfile>({ max: 10_000, ...(config.profileTtlMs > 0 ? { ttl: config.profileTtlMs } : {}) });
    onInvalidation("tenant_profile", (tenantId) => (tenantId === null ? this.profiles.clear() : this.profiles.delete(tenantId)));
    this.db = deps.db;
    this.meter = new Meter({ ...deps.meter, db: deps.db, onSoftLimit: deps.onSoftLimit });
  }

  get offline(): boolean {
    return this.registry.offline;
  }

  sleep(ms: number): Promise<void> {
    return (this.deps.sleep ?? defaultSleep)(ms);
  }

  random(): number {
    return (this.deps.random ?? Math.random)();
  }

  /** Waits until every usage event queued so far is written. */
  flush(): Promise<void> {
    return this.meter.flush();
  }

  /** For shutdown: writes queued usage within `deadlineMs`, spilling the rest to disk for the next start. */
  close(deadlineMs: number): Promise<void> {
    return this.meter.close(deadlineMs);
  }

  /** Drops a tenant's cached profile in this process (other processes hear of it by NOTIFY). */
  forgetTenant(tenantId: string): void {
    this.profiles.delete(tenantId);
  }

  async profile(tenantId: string): Promise<TenantProfile> {
    const cached = this.profiles.get(tenantId);
    if (cached) return cached;
    if (!this.deps.db) await listenForInvalidations();
    const epoch = invalidationEpoch("tenant_profile");
    const profile = await withTenant(tenantId, (tx) => readTenantProfile(tx, tenantId), { db: this.deps.db }).catch((error: unknown) => {
      throw new GatewayError("service_unavailable", "Keel could not reach its database to admit this call. Please try again shortly.", { cause: error });
    });
    // Settings changed while reading (maybe this tenant's): use the value, but do not keep it.
    if (invalidationEpoch("tenant_profile") === epoch && this.config.profileTtlMs > 0) this.profiles.set(tenantId, profile);
    return profile;
  }

  /** The chain a role would use for a tenant now (for /v1/models and the settings page). */
  async chainFor(tenantId: string, role: ModelRole, estimatedInputTokens = 0): Promise<ModelTarget[]> {
    return this.chainForProfile(await this.profile(tenantId), role, estimatedInputTokens);
  }

  chainForProfile(profile: TenantProfile, role: ModelRole, estimatedInputTokens: number): ModelTarget[] {
    const tier = profile.downgradeAtSoftLimit && profile.softLimitReached ? "free" : profile.plan;
    const chain = resolveChain(this.config.routes, {
      role,
      tier,
      estimatedInputTokens,
      providers: this.config.providers.map((p) => p.name),
      compatibleModels: this.config.compatibleModels,
    });
    if (chain.length === 0) throw new GatewayError("no_route", `No configured provider serves the "${role}" role. Check KEEL_ROUTES and the provider keys.`);
    return role === "embedding" ? chain.slice(0, 1) : chain;
  }

  generate(ctx: CallContext, request: GenerateRequest, validation?: ValidationCheck): Promise<CompletionResult> {
    return inSpan("keel.gateway.generate", spanAttributes(ctx, request.role), () => generateCompletion(this, ctx, request, validation), completionAttributes);
  }

  /**
   * Resolves once the first token is in hand (or the answer came from the cache), so callers can
   * still answer with a proper HTTP error when every provider fails.
   */
  stream(ctx: CallContext, request: GenerateRequest): Promise<CompletionStream> {
    // The span covers admission up to the first token (the stream itself may outlive any request).
    return inSpan(
      "keel.gateway.stream",
      spanAttributes(ctx, request.role),
      () => streamCompletion(this, ctx, request),
      (s) => ({
        "keel.provider": s.provider,
        "keel.model": s.model,
        "keel.cache": s.cacheStatus,
        "keel.offline": s.offline,
        "keel.time_to_first_token_ms": s.timeToFirstTokenMs,
      }),
    );
  }

  embed(ctx: CallContext, values: string[]): Promise<EmbeddingResult> {
    return inSpan(
      "keel.gateway.embed",
      { ...spanAttributes(ctx, "embedding"), "keel.inputs": values.length },
      () => embedValues(this, ctx, values),
      (e) => ({
        "keel.provider": e.provider,
        "keel.model": e.model,
        "keel.tokens": e.usage.tokens,
      }),
    );
  }
}

function spanAttributes(ctx: CallContext, role: string): Attributes {
  return { "keel.tenant_id": ctx.tenantId, "keel.feature": ctx.feature, "keel.role": role, ...(ctx.requestId ? { "keel.request_id": ctx.requestId } : {}) };
}

function completionAttributes(result: CompletionResult): Attributes {
  return {
    "keel.provider": result.provider,
    "keel.model": result.model,
    "keel.cache": result.cacheStatus,
    "keel.offline": result.offline,
    "keel.fallbacks": result.fallbackCount,
    "keel.input_tokens": result.usage.inputTokens,
    "keel.output_tokens": result.usage.outputTokens,
    "keel.cost_micro_usd": result.costMicroUsd,
  };
}
