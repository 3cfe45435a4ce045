// The one path for every model call: route → cache → quota reserve → provider chain → meter.
// Chat, analysis, embeddings, structured outputs and the OpenAI-compatible API all come here.
import { randomUUID } from "node:crypto";
import type { LanguageModelV3CallOptions, LanguageModelV3Prompt, LanguageModelV3StreamPart } from "@ai-sdk/provider";
import { z } from "zod";
import type { CacheStatus, CachedCompletion, ValidationOutcome } from "@/db/schema";
import type { Db } from "@/db/client";
import { invalidationEpoch, listenForInvalidations, onInvalidation } from "@/db/invalidation";
import { withTenant } from "@/db/scope";
import { exactCacheKey, semanticScopeKey } from "./cache";
import { CircuitBreaker } from "./circuit-breaker";
import { timeoutsFor, type GatewayConfig } from "./config";
import { GatewayError, isGatewayError } from "./errors";
import { Meter, type CallRecord, type SoftLimitWarning } from "./meter";
import { countTokens } from "./tokens";
import { costMicroUsd, priceOf } from "./pricing";
import { promptCharacters, textMessages, type TextMessage } from "./prompt-text";
import { ProviderRegistry } from "./providers";
import { admit, type Reservation } from "./quota";
import { resolveChain } from "./routing";
import { readTenantProfile, type TenantProfile } from "./tenant-profile";
import { TtlCache } from "./ttl-cache";
import { backoffDelayMs, classifyFailure, TimeoutFailure } from "./retry";
import type { CallContext, LanguageRole, ModelRole, ModelTarget, ProviderName, TokenUsage } from "./types";

export interface GenerateRequest {
  role: LanguageRole;
  prompt: LanguageModelV3Prompt;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
  responseFormat?: LanguageModelV3CallOptions["responseFormat"];
}

export interface CompletionResult {
  requestId: string;
  text: string;
  finishReason: string;
  usage: TokenUsage;
  provider: ProviderName;
  model: string;
  cacheStatus: CacheStatus;
  costMicroUsd: number;
  fallbackCount: number;
  /** True when the answer came from Keel's offline model (no provider configured). */
  offline: boolean;
}

export type GatewayStreamPart =
  | { type: "text-delta"; text: string }
  | { type: "finish"; result: CompletionResult }
  /** The provider failed after tokens were sent; `partial` is what was delivered and metered. */
  | { type: "error"; error: GatewayError; partial: CompletionResult };

export interface CompletionStream {
  requestId: string;
  provider: ProviderName;
  model: string;
  cacheStatus: CacheStatus;
  offline: boolean;
  timeToFirstTokenMs: number;
  parts: ReadableStream<GatewayStreamPart>;
}

export interface EmbeddingResult {
  requestId: string;
  embeddings: number[][];
  usage: { tokens: number };
  provider: ProviderName;
  model: string;
  offline: boolean;
}

export interface GatewayDeps {
  db?: Db;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onSoftLimit?: (warning: SoftLimitWarning, webhookUrl: string | null) => void;
}

interface Prepared {
  requestId: string;
  started: number;
  chain: ModelTarget[];
  maxOutputTokens: number;
  estimatedInputTokens: number;
  hit: { completion: CachedCompletion; status: "exact" | "semantic" } | null;
  reservation: Reservation | null;
  cacheWrites: Omit<NonNullable<CallRecord["cacheWrites"]>, "completion"> | null;
}

interface Attempted<T> {
  value: T;
  target: ModelTarget;
  fallbackCount: number;
  attempts: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const linkedController = (outer?: AbortSignal) => {
  const controller = new AbortController();
  if (outer) {
    if (outer.aborted) controller.abort(outer.reason);
    else outer.addEventListener("abort", () => controller.abort(outer.reason), { once: true });
  }
  return controller;
};

export class Gateway {
  readonly registry: ProviderRegistry;
  readonly breaker: CircuitBreaker;
  readonly meter: Meter;
  private readonly profiles: TtlCache<TenantProfile>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    readonly config: GatewayConfig,
    private readonly deps: GatewayDeps = {},
  ) {
    this.registry = new ProviderRegistry(config);
    this.breaker = new CircuitBreaker(config.breaker);
    this.profiles = new TtlCache(config.profileTtlMs);
    onInvalidation("tenant_profile", (tenantId) => (tenantId === null ? this.profiles.clear() : this.profiles.delete(tenantId)));
    this.sleep = deps.sleep ?? defaultSleep;
    this.random = deps.random ?? Math.random;
    this.meter = new Meter({ db: deps.db, onSoftLimit: deps.onSoftLimit });
  }

  get offline(): boolean {
    return this.registry.offline;
  }

  /** Waits until every usage event queued so far is written. */
  flush(): Promise<void> {
    return this.meter.flush();
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
    const profile = await withTenant(tenantId, (tx) => readTenantProfile(tx, tenantId), { db: this.deps.db });
    // Settings changed while reading (maybe this tenant's): use the value, but do not keep it.
    if (invalidationEpoch("tenant_profile") === epoch) this.profiles.set(tenantId, profile);
    return profile;
  }

  /** The chain a role would use for a tenant now (for /v1/models and the settings page). */
  async chainFor(tenantId: string, role: ModelRole, estimatedInputTokens = 0): Promise<ModelTarget[]> {
    return this.chainForProfile(await this.profile(tenantId), role, estimatedInputTokens);
  }

  private chainForProfile(profile: TenantProfile, role: ModelRole, estimatedInputTokens: number): ModelTarget[] {
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

  // ---------------------------------------------------------------- language: shared preparation

  private async prepare(ctx: CallContext, request: GenerateRequest): Promise<Prepared> {
    const started = performance.now();
    const requestId = ctx.requestId ?? randomUUID();
    const estimatedInputTokens = countTokens(promptCharacters(request.prompt));
    const profile = await this.profile(ctx.tenantId);
    const chain = this.chainForProfile(profile, request.role, estimatedInputTokens);
    const maxOutputTokens = request.maxOutputTokens ?? this.config.defaultMaxOutputTokens[request.role];

    // Cacheable: text-only prompts whose private context (if any) is identified by chunk ids.
    const messages = textMessages(request.prompt);
    const cacheable = messages !== null && ctx.contextChunkIds !== null;
    const readCache = cacheable && !ctx.cache?.noCache;
    const writeCache = cacheable && !ctx.cache?.noStore;
    const ttlSeconds = ctx.cache?.ttlSeconds ?? this.config.cache.ttlSeconds;
    const keyInput = {
      role: request.role,
      target: chain[0]!,
      promptVersion: ctx.promptVersion ?? this.config.promptVersion,
      params: { maxOutputTokens, temperature: request.temperature, topP: request.topP, stop: request.stopSequences, format: request.responseFormat },
      contextChunkIds: ctx.contextChunkIds ?? undefined,
    };
    const key = cacheable ? exactCacheKey({ ...keyInput, messages: messages! }) : null;

    // Semantic: single-turn questions only, for features with a threshold.
    const threshold = this.config.cache.semanticThresholds[ctx.feature];
    const question = messages ? singleTurnQuestion(messages) : null;
    let semantic: { scopeKey: string; embedding: number[] } | null = null;
    if (cacheable && threshold !== undefined && question && (readCache || writeCache)) {
      const { embeddings } = await this.embed({ ...ctx, feature: "semantic-cache", requestId: `${requestId}:semantic-key`, cache: undefined }, [question.text]);
      semantic = { scopeKey: semanticScopeKey({ ...keyInput, system: question.system }), embedding: embeddings[0]! };
    }

    // Priced at the chain's dearest model, since a fallback may end up serving the call.
    const worstInput = Math.max(...chain.map((t) => priceOf(this.config.pricing, t.model).input));
    const worstOutput = Math.max(...chain.map((t) => priceOf(this.config.pricing, t.model).output));
    const estimate = {
      tokens: estimatedInputTokens + maxOutputTokens,
      microUsd: Math.ceil(estimatedInputTokens * worstInput + maxOutputTokens * worstOutput),
    };

    // One round trip: a cache hit spends no quota; a miss reserves before any provider is called.
    const admission = await admit(
      {
        profile,
        userId: ctx.userId ?? null,
        exactKey: readCache ? key : null,
        semantic: readCache && semantic && threshold !== undefined ? { ...semantic, threshold } : null,
        tokens: estimate.tokens,
        microUsd: estimate.microUsd,
        now: new Date(),
        ttlMs: this.config.reservationTtlMs,
      },
      { db: this.deps.db },
    );
    const hit = admission.kind === "hit" ? { completion: admission.completion, status: admission.status } : null;
    const reservation = admission.kind === "admitted" ? admission.reservation : null;

    const cacheWrites =
      writeCache && key
        ? { exact: { key, ttlSeconds }, ...(semantic ? { semantic: { scopeKey: semantic.scopeKey, embedding: semantic.embedding, ttlSeconds } } : {}) }
        : null;
    return { requestId, started, chain, maxOutputTokens, estimatedInputTokens, hit, reservation, cacheWrites };
  }

  private callOptions(request: GenerateRequest, maxOutputTokens: number, abortSignal: AbortSignal): LanguageModelV3CallOptions {
    return {
      prompt: request.prompt,
      maxOutputTokens,
      temperature: request.temperature,
      topP: request.topP,
      stopSequences: request.stopSequences,
      responseFormat: request.responseFormat,
      abortSignal,
    };
  }

  private record(
    ctx: CallContext,
    role: ModelRole,
    prepared: Pick<Prepared, "requestId" | "started" | "reservation">,
    fields: Partial<CallRecord> & Pick<CallRecord, "provider" | "model" | "status">,
  ): void {
    this.meter.record({
      tenantId: ctx.tenantId,
      requestId: prepared.requestId,
      userId: ctx.userId ?? null,
      apiKeyId: ctx.apiKeyId ?? null,
      feature: ctx.feature,
      role,
      inputTokens: 0,
      outputTokens: 0,
      costMicroUsd: 0,
      savedMicroUsd: 0,
      latencyMs: Math.round(performance.now() - prepared.started),
      timeToFirstTokenMs: null,
      cacheStatus: "miss",
      fallbackCount: 0,
      attempts: 0,
      errorCode: null,
      validation: null,
      reservation: prepared.reservation,
      cacheWrites: null,
      ...fields,
    });
  }

  private hitResult(prepared: Prepared, hit: NonNullable<Prepared["hit"]>): CompletionResult {
    return {
      requestId: prepared.requestId,
      text: hit.completion.text,
      finishReason: hit.completion.finishReason,
      usage: { inputTokens: 0, outputTokens: 0 },
      provider: hit.completion.provider as ProviderName,
      model: hit.completion.model,
      cacheStatus: hit.status,
      costMicroUsd: 0,
      fallbackCount: 0,
      offline: hit.completion.provider === "offline",
    };
  }

  private recordHit(
    ctx: CallContext,
    role: ModelRole,
    prepared: Prepared,
    result: CompletionResult,
    hit: NonNullable<Prepared["hit"]>,
    validation: ValidationOutcome | null,
  ): void {
    const saved = costMicroUsd(this.config.pricing, hit.completion.model, {
      inputTokens: hit.completion.inputTokens,
      outputTokens: hit.completion.outputTokens,
    });
    this.record(ctx, role, prepared, {
      provider: "cache",
      model: result.model,
      status: "ok",
      cacheStatus: hit.status,
      savedMicroUsd: saved,
      timeToFirstTokenMs: Math.round(performance.now() - prepared.started),
      validation,
    });
  }

  // ---------------------------------------------------------------- provider chain with fallback

  /**
   * Runs `attempt` along the chain: retries with backoff on retriable failures (honouring
   * Retry-After), then the next provider; a fatal failure stops at once. `timeoutMs` bounds each
   * attempt (for streams: until the first token).
   */
  private async runChain<T>(
    chain: ModelTarget[],
    timeoutMs: (target: ModelTarget) => number,
    signal: AbortSignal | undefined,
    attempt: (target: ModelTarget, signal: AbortSignal) => Promise<T>,
  ): Promise<Attempted<T>> {
    let attempts = 0;
    let lastReason = "no provider was available";
    for (const [index, target] of chain.entries()) {
      const breakerKey = target.provider;
      if (!this.breaker.allow(breakerKey)) {
        lastReason = `${target.provider} is paused after repeated failures`;
        continue;
      }
      for (let retry = 0; retry <= this.config.retry.maxRetries; retry++) {
        attempts++;
        const controller = linkedController(signal);
        const ms = timeoutMs(target);
        const timer = setTimeout(() => controller.abort(new TimeoutFailure("first-token", ms)), ms);
        try {
          const value = await attempt(target, controller.signal);
          this.breaker.success(breakerKey);
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
          this.breaker.failure(breakerKey);
          const tooLong = (failure.retryAfterMs ?? 0) > this.config.retry.maxRetryAfterMs;
          if (retry === this.config.retry.maxRetries || tooLong || this.breaker.isOpen(breakerKey)) break;
          await this.sleep(backoffDelayMs(retry, this.config.retry, failure.retryAfterMs, this.random));
        } finally {
          clearTimeout(timer);
        }
      }
    }
    throw new GatewayError("providers_unavailable", `Every AI provider failed. Last error: ${lastReason}`);
  }

  // ---------------------------------------------------------------- generate

  async generate(
    ctx: CallContext,
    request: GenerateRequest,
    check?: (text: string) => boolean,
    labels?: { ok: ValidationOutcome | null; bad: ValidationOutcome | null },
  ): Promise<CompletionResult> {
    const prepared = await this.prepare(ctx, request);
    if (prepared.hit) {
      const result = this.hitResult(prepared, prepared.hit);
      this.recordHit(ctx, request.role, prepared, result, prepared.hit, check && labels ? (check(result.text) ? labels.ok : labels.bad) : null);
      return result;
    }
    try {
      const outcome = await this.runChain(
        prepared.chain,
        (target) => timeoutsFor(this.config, target.provider).totalMs,
        ctx.signal,
        async (target, signal) => this.registry.languageModel(target).doGenerate(this.callOptions(request, prepared.maxOutputTokens, signal)),
      );
      const text = outcome.value.content.map((part) => (part.type === "text" ? part.text : "")).join("");
      const usage = {
        inputTokens: outcome.value.usage.inputTokens.total ?? prepared.estimatedInputTokens,
        outputTokens: outcome.value.usage.outputTokens.total ?? countTokens(text),
      };
      const result: CompletionResult = {
        requestId: prepared.requestId,
        text,
        finishReason: outcome.value.finishReason.unified,
        usage,
        provider: outcome.target.provider,
        model: outcome.target.model,
        cacheStatus: ctx.cache?.noCache || !prepared.cacheWrites ? "bypass" : "miss",
        costMicroUsd: costMicroUsd(this.config.pricing, outcome.target.model, usage),
        fallbackCount: outcome.fallbackCount,
        offline: outcome.target.provider === "offline",
      };
      const valid = check ? check(text) : true;
      this.record(ctx, request.role, prepared, {
        provider: result.provider,
        model: result.model,
        status: "ok",
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        costMicroUsd: result.costMicroUsd,
        cacheStatus: result.cacheStatus,
        fallbackCount: outcome.fallbackCount,
        attempts: outcome.attempts,
        timeToFirstTokenMs: Math.round(performance.now() - prepared.started),
        validation: check && labels ? (valid ? labels.ok : labels.bad) : null,
        // Only complete, valid answers are worth replaying.
        cacheWrites: prepared.cacheWrites && result.finishReason === "stop" && valid ? { ...prepared.cacheWrites, completion: toCached(result) } : null,
      });
      return result;
    } catch (error) {
      this.recordFailure(ctx, request.role, prepared, error);
      throw error;
    }
  }

  private recordFailure(ctx: CallContext, role: ModelRole, prepared: Pick<Prepared, "requestId" | "started" | "reservation" | "chain">, error: unknown): void {
    this.record(ctx, role, prepared, {
      provider: prepared.chain[0]!.provider,
      model: prepared.chain[0]!.model,
      status: "error",
      errorCode: isGatewayError(error) ? error.code : "internal",
    });
  }

  // ---------------------------------------------------------------- stream

  /**
   * Resolves once the first token is in hand (or the answer came from the cache), so callers can
   * still answer with a proper HTTP error when every provider fails. Failures before the first
   * token fall back transparently; after it, the stream ends with an `error` part.
   */
  async stream(ctx: CallContext, request: GenerateRequest): Promise<CompletionStream> {
    const prepared = await this.prepare(ctx, request);
    if (prepared.hit) return this.replayHit(ctx, request, prepared, prepared.hit);

    const live = linkedController(ctx.signal);
    let opened: Attempted<{
      reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart>;
      buffered: LanguageModelV3StreamPart[];
      controller: AbortController;
    }>;
    try {
      opened = await this.runChain(
        prepared.chain,
        (target) => timeoutsFor(this.config, target.provider).firstTokenMs,
        live.signal,
        async (target, signal) => {
          // Each attempt has its own controller: the first-token timer aborts only this attempt,
          // while `live` lets the consumer cancel whichever attempt won.
          const attemptController = linkedController(signal);
          live.signal.addEventListener("abort", () => attemptController.abort(live.signal.reason), { once: true });
          const { stream } = await this.registry.languageModel(target).doStream(this.callOptions(request, prepared.maxOutputTokens, attemptController.signal));
          const reader = stream.getReader();
          const buffered: LanguageModelV3StreamPart[] = [];
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              if (value.type === "error") throw value.error;
              buffered.push(value);
              if ((value.type === "text-delta" && value.delta.length > 0) || value.type === "finish") break;
            }
          } catch (error) {
            attemptController.abort();
            reader.cancel().catch(() => {});
            throw error;
          }
          return { reader, buffered, controller: attemptController };
        },
      );
    } catch (error) {
      this.recordFailure(ctx, request.role, prepared, error);
      throw error;
    }

    const timeToFirstTokenMs = Math.round(performance.now() - prepared.started);
    const { target, fallbackCount, attempts } = opened;
    const { reader, buffered, controller } = opened.value;
    const idleMs = timeoutsFor(this.config, target.provider).idleMs;
    let text = "";
    let usage: { input?: number; output?: number } = {};
    let finishReason = "stop";
    let settled = false;

    const summary = (status: "ok" | "partial", errorCode: string | null): CompletionResult => {
      const tokens = { inputTokens: usage.input ?? prepared.estimatedInputTokens, outputTokens: usage.output ?? countTokens(text) };
      const result: CompletionResult = {
        requestId: prepared.requestId,
        text,
        finishReason: status === "ok" ? finishReason : "error",
        usage: tokens,
        provider: target.provider,
        model: target.model,
        cacheStatus: ctx.cache?.noCache || !prepared.cacheWrites ? "bypass" : "miss",
        costMicroUsd: costMicroUsd(this.config.pricing, target.model, tokens),
        fallbackCount,
        offline: target.provider === "offline",
      };
      if (!settled) {
        settled = true;
        this.record(ctx, request.role, prepared, {
          provider: target.provider,
          model: target.model,
          status,
          errorCode,
          inputTokens: tokens.inputTokens,
          outputTokens: tokens.outputTokens,
          costMicroUsd: result.costMicroUsd,
          cacheStatus: result.cacheStatus,
          fallbackCount,
          attempts,
          timeToFirstTokenMs,
          cacheWrites: status === "ok" && prepared.cacheWrites && finishReason === "stop" ? { ...prepared.cacheWrites, completion: toCached(result) } : null,
        });
      }
      return result;
    };

    const absorb = (part: LanguageModelV3StreamPart): string | null => {
      if (part.type === "text-delta") {
        text += part.delta;
        return part.delta;
      }
      if (part.type === "finish") {
        usage = { input: part.usage.inputTokens.total, output: part.usage.outputTokens.total };
        finishReason = part.finishReason.unified;
      }
      if (part.type === "error") throw part.error;
      return null;
    };

    const parts = new ReadableStream<GatewayStreamPart>({
      start: (sink) => {
        for (const part of buffered) {
          const delta = absorb(part);
          if (delta) sink.enqueue({ type: "text-delta", text: delta });
        }
      },
      pull: async (sink) => {
        // Read until something can be handed on: a pull that enqueues nothing is not called again.
        for (;;) {
          let idle: ReturnType<typeof setTimeout> | undefined;
          try {
            const next = await Promise.race([
              reader.read(),
              new Promise<never>((_, reject) => {
                idle = setTimeout(() => reject(new TimeoutFailure("idle", idleMs)), idleMs);
              }),
            ]);
            if (next.done) {
              sink.enqueue({ type: "finish", result: summary("ok", null) });
              sink.close();
              return;
            }
            const delta = absorb(next.value);
            if (delta) {
              sink.enqueue({ type: "text-delta", text: delta });
              return;
            }
          } catch (error) {
            controller.abort();
            reader.cancel().catch(() => {});
            const failure = classifyFailure(error);
            const gatewayError = new GatewayError(
              "stream_interrupted",
              `The AI provider stopped mid-answer (${failure.reason}). The partial answer was kept and billed for what was delivered.`,
              { cause: error },
            );
            sink.enqueue({ type: "error", error: gatewayError, partial: summary("partial", "stream_interrupted") });
            sink.close();
            return;
          } finally {
            clearTimeout(idle);
          }
        }
      },
      cancel: () => {
        // The consumer went away (browser closed, client disconnected): stop the provider, bill what was sent.
        controller.abort();
        reader.cancel().catch(() => {});
        summary("partial", "client_cancelled");
      },
    });

    return {
      requestId: prepared.requestId,
      provider: target.provider,
      model: target.model,
      cacheStatus: "miss",
      offline: target.provider === "offline",
      timeToFirstTokenMs,
      parts,
    };
  }

  private replayHit(ctx: CallContext, request: GenerateRequest, prepared: Prepared, hit: NonNullable<Prepared["hit"]>): CompletionStream {
    const result = this.hitResult(prepared, hit);
    this.recordHit(ctx, request.role, prepared, result, hit, null);
    const pieces = result.text.match(/\S+\s*|\s+/g) ?? [];
    const parts = new ReadableStream<GatewayStreamPart>({
      start(sink) {
        for (const piece of pieces) sink.enqueue({ type: "text-delta", text: piece });
        sink.enqueue({ type: "finish", result });
        sink.close();
      },
    });
    return {
      requestId: prepared.requestId,
      provider: result.provider,
      model: result.model,
      cacheStatus: hit.status,
      offline: result.offline,
      timeToFirstTokenMs: Math.round(performance.now() - prepared.started),
      parts,
    };
  }

  // ---------------------------------------------------------------- embeddings

  async embed(ctx: CallContext, values: string[]): Promise<EmbeddingResult> {
    const started = performance.now();
    const requestId = ctx.requestId ?? randomUUID();
    const profile = await this.profile(ctx.tenantId);
    const chain = this.chainForProfile(profile, "embedding", 0);
    const tokens = values.reduce((sum, value) => sum + countTokens(value), 0);
    const price = priceOf(this.config.pricing, chain[0]!.model);
    const admission = await admit(
      {
        profile,
        userId: ctx.userId ?? null,
        exactKey: null,
        semantic: null,
        tokens,
        microUsd: Math.ceil(tokens * price.input),
        now: new Date(),
        ttlMs: this.config.reservationTtlMs,
      },
      { db: this.deps.db },
    );
    const reservation = admission.kind === "admitted" ? admission.reservation : null;
    const prepared = { requestId, started, reservation, chain };
    try {
      const outcome = await this.runChain(
        chain,
        (target) => timeoutsFor(this.config, target.provider).totalMs,
        ctx.signal,
        async (target, signal) => {
          const model = this.registry.embeddingModel(target);
          const limit = (await model.maxEmbeddingsPerCall) ?? values.length;
          const embeddings: number[][] = [];
          let reported = 0;
          for (let i = 0; i < values.length; i += Math.max(1, limit)) {
            const batch = values.slice(i, i + Math.max(1, limit));
            const result = await model.doEmbed({ values: batch, abortSignal: signal, providerOptions: this.registry.embeddingOptions(target) });
            embeddings.push(...result.embeddings.map((e) => Array.from(e)));
            reported += result.usage?.tokens ?? batch.reduce((sum, value) => sum + countTokens(value), 0);
          }
          return { embeddings, tokens: reported };
        },
      );
      const usage = { inputTokens: outcome.value.tokens, outputTokens: 0 };
      this.record(ctx, "embedding", prepared, {
        provider: outcome.target.provider,
        model: outcome.target.model,
        status: "ok",
        inputTokens: usage.inputTokens,
        costMicroUsd: costMicroUsd(this.config.pricing, outcome.target.model, usage),
        cacheStatus: "bypass",
        fallbackCount: outcome.fallbackCount,
        attempts: outcome.attempts,
      });
      return {
        requestId,
        embeddings: outcome.value.embeddings,
        usage: { tokens: usage.inputTokens },
        provider: outcome.target.provider,
        model: outcome.target.model,
        offline: outcome.target.provider === "offline",
      };
    } catch (error) {
      this.recordFailure(ctx, "embedding", prepared, error);
      throw error;
    }
  }

  // ---------------------------------------------------------------- structured outputs

  /**
   * A zod-validated object. Invalid output gets one repair attempt that carries the validation
   * error; then a clear failure. The outcome (pass / repaired / failed) is metered per call.
   */
  async generateObject<T>(
    ctx: CallContext,
    request: Omit<GenerateRequest, "responseFormat"> & { schema: z.ZodType<T>; schemaName?: string },
  ): Promise<{ object: T; result: CompletionResult; validation: ValidationOutcome }> {
    const jsonSchema = z.toJSONSchema(request.schema) as NonNullable<Extract<LanguageModelV3CallOptions["responseFormat"], { type: "json" }>["schema"]>;
    const responseFormat = { type: "json" as const, schema: jsonSchema, name: request.schemaName };
    const requestId = ctx.requestId ?? randomUUID();
    const parse = (text: string) => request.schema.safeParse(parseJsonLoosely(text));
    const first = await this.generate({ ...ctx, requestId }, { ...request, responseFormat }, (text) => parse(text).success, { ok: "pass", bad: null });
    const firstParse = parse(first.text);
    if (firstParse.success) return { object: firstParse.data, result: first, validation: "pass" };

    const problems = firstParse.error.issues
      .slice(0, 10)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    const repairPrompt: LanguageModelV3Prompt = [
      ...request.prompt,
      { role: "assistant", content: [{ type: "text", text: first.text }] },
      {
        role: "user",
        content: [{ type: "text", text: `That answer does not match the required JSON schema (${problems}). Reply with corrected JSON only, nothing else.` }],
      },
    ];
    const repaired = await this.generate(
      { ...ctx, requestId: `${requestId}:repair`, cache: { ...ctx.cache, noCache: true } },
      { ...request, prompt: repairPrompt, responseFormat },
      (text) => parse(text).success,
      { ok: "repaired", bad: "failed" },
    );
    const secondParse = parse(repaired.text);
    if (secondParse.success) return { object: secondParse.data, result: repaired, validation: "repaired" };
    throw new GatewayError("output_invalid", `The model's answer did not match the expected structure, even after one repair attempt: ${problems}`);
  }
}

function toCached(result: CompletionResult): CachedCompletion {
  return {
    text: result.text,
    finishReason: result.finishReason,
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    provider: result.provider,
    model: result.model,
  };
}

/** Single-turn prompts (optional system + one user message) are the ones a similar question can answer. */
function singleTurnQuestion(messages: TextMessage[]): { system: string; text: string } | null {
  const rest = messages.filter((m) => m.role !== "system");
  if (rest.length !== 1 || rest[0]!.role !== "user") return null;
  return {
    system: messages
      .filter((m) => m.role === "system")
      .map((m) => m.text)
      .join("\n"),
    text: rest[0]!.text,
  };
}

/** Models sometimes wrap JSON in a code fence; untrusted either way, so parse failures yield undefined. */
function parseJsonLoosely(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  try {
    return JSON.parse((fenced?.[1] ?? text).trim());
  } catch {
    return undefined;
  }
}
