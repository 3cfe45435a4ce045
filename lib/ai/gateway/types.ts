// The gateway's vocabulary: what call sites send and get back, and what the stages share.
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3FunctionTool,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3ToolCall,
  LanguageModelV3ToolChoice,
} from "@ai-sdk/provider";
import type { CachedCompletion, CacheStatus } from "@/db/schema";
import type { Db } from "@/db/client";
import type { CircuitBreaker } from "../circuit-breaker";
import type { GatewayConfig } from "../config";
import type { CallRecord, Meter, MeterOptions, SoftLimitWarning } from "../meter";
import type { ProviderRegistry } from "../providers";
import type { TenantProfile } from "../tenant-profile";
import type { CallContext, LanguageRole, ModelRole, ModelTarget, ProviderName, Reservation, TokenUsage } from "../types";

export interface GenerateRequest {
  role: LanguageRole;
  prompt: LanguageModelV3Prompt;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
  responseFormat?: LanguageModelV3CallOptions["responseFormat"];
  /**
   * Function tools the model may call. Only function tools: a provider's own tools (web search…)
   * would not survive a fallback to another provider.
   */
  tools?: LanguageModelV3FunctionTool[];
  toolChoice?: LanguageModelV3ToolChoice;
  /** `false` asks for at most one tool call per answer (OpenAI and compatible providers honour it). */
  parallelToolCalls?: boolean;
}

export interface CompletionResult {
  requestId: string;
  text: string;
  /** Calls the model asked for, as the provider sent them (ids and provider metadata kept). */
  toolCalls: LanguageModelV3ToolCall[];
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

export interface CompletionStream {
  requestId: string;
  provider: ProviderName;
  model: string;
  cacheStatus: CacheStatus;
  offline: boolean;
  timeToFirstTokenMs: number;
  /**
   * The answer in the AI SDK's stream parts, as the provider sent them; it ends with the gateway's
   * `finish` (the answer as billed, `providerMetadata.keel`), after an `error` part if the
   * provider broke off mid-answer.
   */
  parts: ReadableStream<LanguageModelV3StreamPart>;
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
  /** Meter settings beyond the database and the soft-limit hook (tests: linger, bounds, spill dir). */
  meter?: Omit<MeterOptions, "db" | "onSoftLimit">;
}

/** What every stage needs from the gateway: its settings, providers, breaker, meter and tenant profiles. */
export interface GatewayRuntime {
  readonly config: GatewayConfig;
  readonly registry: ProviderRegistry;
  readonly breaker: CircuitBreaker;
  readonly meter: Meter;
  readonly db: Db | undefined;
  sleep(ms: number): Promise<void>;
  random(): number;
  profile(tenantId: string): Promise<TenantProfile>;
  chainForProfile(profile: TenantProfile, role: ModelRole, estimatedInputTokens: number): ModelTarget[];
  embed(ctx: CallContext, values: string[]): Promise<EmbeddingResult>;
}

/** A language call after admission: its route, estimate, and either a cached answer or a reservation. */
export interface Prepared {
  requestId: string;
  started: number;
  chain: ModelTarget[];
  maxOutputTokens: number;
  estimatedInputTokens: number;
  hit: { completion: CachedCompletion; status: "exact" | "semantic" } | null;
  reservation: Reservation | null;
  cacheWrites: Omit<NonNullable<CallRecord["cacheWrites"]>, "completion"> | null;
}
