// What the meter writes: one call's record, and the row keel_record_usage reads for it.
import type { CacheStatus, CachedCompletion, CallStatus, PriceTier, ValidationOutcome } from "@/db/schema";
import { storableText } from "@/lib/text/storable";
import { vectorLiteral } from "../cache";
import type { ProviderName, Reservation } from "../types";

export interface CallRecord {
  tenantId: string;
  requestId: string;
  userId: string | null;
  apiKeyId: string | null;
  feature: string;
  role: string;
  provider: ProviderName | "cache";
  model: string;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
  savedMicroUsd: number;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  cacheStatus: CacheStatus;
  fallbackCount: number;
  attempts: number;
  status: CallStatus;
  errorCode: string | null;
  validation: ValidationOutcome | null;
  /** "batch" when a provider's batch API served the call at its lower price; absent: standard. */
  priceTier?: PriceTier;
  /** Settled with this call's actual spend (released when it spent nothing). */
  reservation: Reservation | null;
  /** Retrieved chunks the answer was built on (cache rows remember them for invalidation). */
  contextChunkIds: readonly string[] | null;
  cacheWrites: {
    exact?: { key: string; ttlSeconds: number };
    semantic?: { scopeKey: string; embedding: number[]; ttlSeconds: number };
    completion: CachedCompletion;
  } | null;
}

/** The record without anything that came from outside Keel: still charged, never cached. */
export function withoutCacheWrites(record: CallRecord): CallRecord {
  return { ...record, cacheWrites: null, feature: storableText(record.feature).slice(0, 100), model: storableText(record.model).slice(0, 200) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Document chunk ids (uuids) the cached answer cites; other ids key the cache but cite nothing stored. */
function storedChunkIds(ids: readonly string[] | null): string[] | null {
  const chunks = ids?.filter((id) => UUID.test(id)) ?? [];
  return chunks.length > 0 ? chunks : null;
}

/** A record as keel_record_usage reads it (the keel_usage_record type, migration 0005; usage-row.test.ts ties the two). */
export function toUsageRow(r: CallRecord, first: boolean) {
  const writes = r.cacheWrites;
  return {
    request_id: r.requestId,
    first,
    user_id: r.userId,
    api_key_id: r.apiKeyId,
    feature: r.feature,
    role: r.role,
    provider: r.provider,
    model: r.model,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cost_micro_usd: r.costMicroUsd,
    saved_micro_usd: r.savedMicroUsd,
    latency_ms: r.latencyMs,
    time_to_first_token_ms: r.timeToFirstTokenMs,
    cache_status: r.cacheStatus,
    fallback_count: r.fallbackCount,
    attempts: r.attempts,
    status: r.status,
    error_code: r.errorCode,
    validation: r.validation,
    price_tier: r.priceTier ?? "standard",
    reservation_id: r.reservation?.id ?? null,
    period_start: r.reservation?.periodStart ?? null,
    member_charged: r.reservation?.memberCharged ?? false,
    exact_key: writes?.exact?.key ?? null,
    exact_ttl_seconds: writes?.exact?.ttlSeconds ?? null,
    scope_key: writes?.semantic?.scopeKey ?? null,
    embedding: writes?.semantic ? vectorLiteral(writes.semantic.embedding) : null,
    semantic_ttl_seconds: writes?.semantic?.ttlSeconds ?? null,
    // A model's answer is outside text: NUL or a lone surrogate in it would fail the whole batch.
    completion: writes ? { ...writes.completion, text: storableText(writes.completion.text) } : null,
    context_chunk_ids: writes ? storedChunkIds(r.contextChunkIds) : null,
  };
}
