// The one path for every model call: route → cache → quota reserve → provider chain → meter.
// Chat, analysis, embeddings, structured outputs and the OpenAI-compatible API all come here.
// `Gateway` is the thin facade call sites use; each stage lives in its own module:
//   admission.ts          route, cache keys, estimate, cache lookup + quota reservation
//   provider-chain.ts     retries, backoff, fallback, circuit breaker
//   generate.ts / stream.ts / embed.ts / structured-output.ts   the kinds of call
//   records.ts            what the meter is told about each call
//   language-model.ts     the whole path as an AI SDK LanguageModelV3 (keelModel)
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
import { TtlCache } from "../ttl-cache";
import type { CallContext, ModelRole, ModelTarget } from "../types";
import { embedValues } from "./embed";
import { generateCompletion, type ValidationCheck } from "./generate";
import { streamCompletion } from "./stream";
import { generateValidatedObject, type ObjectRequest } from "./structured-output";
import type { CompletionResult, CompletionStream, EmbeddingResult, GatewayDeps, GatewayRuntime, GenerateRequest } from "./types";

export type { CompletionResult, CompletionStream, EmbeddingResult, GatewayDeps, GatewayStreamPart, GenerateRequest } from "./types";
export { GatewayLanguageModel, type GatewayCalls } from "./language-model";
export { readKeelMetadata, type KeelAnswerMetadata } from "./answer-metadata";

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Gateway implements GatewayRuntime {
  readonly registry: ProviderRegistry;
  readonly breaker: CircuitBreaker;
  readonly meter: Meter;
  readonly db: Db | undefined;
  private readonly profiles: TtlCache<TenantProfile>;

  constructor(
    readonly config: GatewayConfig,
    private readonly deps: GatewayDeps = {},
  ) {
    this.registry = new ProviderRegistry(config);
    this.breaker = new CircuitBreaker(config.breaker);
    this.profiles = new TtlCache(config.profileTtlMs);
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
    if (invalidationEpoch("tenant_profile") === epoch) this.profiles.set(tenantId, profile);
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
    return generateCompletion(this, ctx, request, validation);
  }

  /**
   * Resolves once the first token is in hand (or the answer came from the cache), so callers can
   * still answer with a proper HTTP error when every provider fails.
   */
  stream(ctx: CallContext, request: GenerateRequest): Promise<CompletionStream> {
    return streamCompletion(this, ctx, request);
  }

  embed(ctx: CallContext, values: string[]): Promise<EmbeddingResult> {
    return embedValues(this, ctx, values);
  }

  generateObject<T>(ctx: CallContext, request: ObjectRequest<T>) {
    return generateValidatedObject(this, ctx, request);
  }
}
