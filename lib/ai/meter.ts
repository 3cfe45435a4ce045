// Records each model call after it ends, off the response path: one usage event (idempotent on
// the request id), the daily rollup, the quota settlement, the soft-limit warning and any cache
// write, all in one transaction so they never disagree.
import type { CacheStatus, CachedCompletion, CallStatus, ValidationOutcome } from "@/db/schema";
import type { Db } from "@/db/client";
import { callTenantFunction } from "@/db/scope";
import { vectorLiteral } from "./cache";
import type { Reservation } from "./quota";
import type { ProviderName } from "./types";

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
  /** Settled with this call's actual spend (released when it spent nothing). */
  reservation: Reservation | null;
  cacheWrites: {
    exact?: { key: string; ttlSeconds: number };
    semantic?: { scopeKey: string; embedding: number[]; ttlSeconds: number };
    completion: CachedCompletion;
  } | null;
}

export interface SoftLimitWarning {
  tenantId: string;
  limit: "tokens" | "usd";
  message: string;
}

export interface MeterOptions {
  db?: Db;
  /** How long a first record waits for company before its batch is written (default 10 ms). */
  lingerMs?: number;
  /** Called once per tenant and period when the soft limit is crossed (webhook, logs). */
  onSoftLimit?: (warning: SoftLimitWarning, webhookUrl: string | null) => void;
}

const dayOf = () => new Date().toISOString().slice(0, 10);

/** A record as keel_record_usage reads it (the keel_usage_record type, migration 0005). */
function toUsageRow(r: CallRecord, first: boolean) {
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
    reservation_id: r.reservation?.id ?? null,
    period_start: r.reservation?.periodStart ?? null,
    member_charged: r.reservation?.memberCharged ?? false,
    exact_key: writes?.exact?.key ?? null,
    exact_ttl_seconds: writes?.exact?.ttlSeconds ?? null,
    scope_key: writes?.semantic?.scopeKey ?? null,
    embedding: writes?.semantic ? vectorLiteral(writes.semantic.embedding) : null,
    semantic_ttl_seconds: writes?.semantic?.ttlSeconds ?? null,
    completion: writes?.completion ?? null,
  };
}

/**
 * Writes a batch of one tenant's records in one round trip (keel_record_usage): events, rollup,
 * settlement, soft warning and cache writes in one transaction, so they never disagree, and a
 * busy tenant's quota row is locked once per batch rather than once per call.
 */
async function writeBatch(
  tenantId: string,
  records: CallRecord[],
  db: Db | undefined,
): Promise<{ warning: SoftLimitWarning; webhookUrl: string | null } | null> {
  const seen = new Set<string>();
  const rows = records.map((r) => {
    const first = !seen.has(r.requestId);
    seen.add(r.requestId);
    return toUsageRow(r, first);
  });
  const [crossed] = await callTenantFunction<{ soft_limit: "tokens" | "usd"; message: string; webhook_url: string | null }>(
    "keel_record_usage",
    tenantId,
    [
      [dayOf(), "date"],
      [JSON.stringify(rows), "jsonb"],
    ],
    { db },
  );
  return crossed ? { warning: { tenantId, limit: crossed.soft_limit, message: crossed.message }, webhookUrl: crossed.webhook_url } : null;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

export class Meter {
  private queue: CallRecord[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly options: MeterOptions = {}) {}

  /**
   * Queues the record and returns at once. Records that arrive while a write is in flight go out
   * together in the next one: batches grow with load, and a quiet system writes immediately.
   */
  record(record: CallRecord): void {
    this.queue.push(record);
    this.running ??= this.drain();
  }

  /** Waits until everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Linger briefly so that even at low concurrency a few calls share one transaction.
    await new Promise((resolve) => setTimeout(resolve, this.options.lingerMs ?? 10));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, 500);
      await Promise.all([...groupBy(batch, (r) => r.tenantId)].map(([tenantId, records]) => this.writeWithRetry(tenantId, records)));
    }
    this.running = null;
  }

  private async writeWithRetry(tenantId: string, records: CallRecord[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const crossed = await writeBatch(tenantId, records, this.options.db);
        if (crossed) this.options.onSoftLimit?.(crossed.warning, crossed.webhookUrl);
        return;
      } catch (error) {
        // The batch is one transaction and idempotent on request ids: retrying cannot double-count.
        if (attempt >= 4) {
          console.error("meter: usage events could not be written", JSON.stringify(records.map((r) => ({ ...r, cacheWrites: undefined }))), error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }
}
