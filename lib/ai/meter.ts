// Records each model call after it ends, off the response path: one usage event (idempotent on
// the request id), the daily rollup, the quota settlement, the soft-limit warning and any cache
// write, all in one transaction so they never disagree.
import { sql } from "drizzle-orm";
import type { CacheStatus, CachedCompletion, CallStatus, ValidationOutcome } from "@/db/schema";
import type { Db, Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import { writeExactCache, writeSemanticCache } from "./cache";
import { claimSoftWarning, settleQuota, softLimitCrossed, type Reservation } from "./quota";
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
  /** Called once per tenant and period when the soft limit is crossed (webhook, logs). */
  onSoftLimit?: (warning: SoftLimitWarning, webhookUrl: string | null) => void;
}

async function writeRecord(tx: Tx, record: CallRecord): Promise<SoftLimitWarning | null> {
  const inserted = await rawRows<{ id: string }>(
    tx,
    sql`insert into usage_events (tenant_id, request_id, user_id, api_key_id, feature, role, provider, model, input_tokens, output_tokens,
          cost_micro_usd, saved_micro_usd, latency_ms, time_to_first_token_ms, cache_status, fallback_count, attempts, status, error_code, validation)
        values (${record.tenantId}, ${record.requestId}, ${record.userId}, ${record.apiKeyId}, ${record.feature}, ${record.role}, ${record.provider},
          ${record.model}, ${record.inputTokens}, ${record.outputTokens}, ${record.costMicroUsd}, ${record.savedMicroUsd}, ${record.latencyMs},
          ${record.timeToFirstTokenMs}, ${record.cacheStatus}, ${record.fallbackCount}, ${record.attempts}, ${record.status}, ${record.errorCode},
          ${record.validation})
        on conflict (tenant_id, request_id) do nothing
        returning id`,
  );
  const fresh = inserted.length > 0;
  if (fresh) {
    const hit = record.cacheStatus === "exact" || record.cacheStatus === "semantic" ? 1 : 0;
    const failed = record.status === "error" ? 1 : 0;
    await tx.execute(sql`
      insert into usage_daily as d (tenant_id, day, provider, model, requests, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_hits, errors)
      values (${record.tenantId}, (now() at time zone 'utc')::date, ${record.provider}, ${record.model}, 1, ${record.inputTokens}, ${record.outputTokens},
              ${record.costMicroUsd}, ${record.savedMicroUsd}, ${hit}, ${failed})
      on conflict (tenant_id, day, provider, model) do update set
        requests = d.requests + 1, input_tokens = d.input_tokens + excluded.input_tokens, output_tokens = d.output_tokens + excluded.output_tokens,
        cost_micro_usd = d.cost_micro_usd + excluded.cost_micro_usd, saved_micro_usd = d.saved_micro_usd + excluded.saved_micro_usd,
        cache_hits = d.cache_hits + excluded.cache_hits, errors = d.errors + excluded.errors`);
  }

  let warning: SoftLimitWarning | null = null;
  if (record.reservation) {
    // A replayed record (same request id) settles nothing new: its spend was counted the first time.
    const spend = fresh ? { tokens: record.inputTokens + record.outputTokens, microUsd: record.costMicroUsd } : { tokens: 0, microUsd: 0 };
    const period = await settleQuota(tx, record.reservation, spend);
    const crossed = period && !period.softWarnedAt ? softLimitCrossed(period) : null;
    if (crossed && (await claimSoftWarning(tx, record.reservation))) {
      const message =
        crossed === "tokens"
          ? `This workspace has used ${period!.softLimitPercent}% of its monthly AI token allowance.`
          : `This workspace has used ${period!.softLimitPercent}% of its monthly AI spending limit.`;
      await tx.execute(sql`insert into tenant_notices (tenant_id, kind, message) values (${record.tenantId}, 'quota.soft_limit', ${message})`);
      warning = { tenantId: record.tenantId, limit: crossed, message };
    }
  }

  const writes = record.cacheWrites;
  if (writes && record.status === "ok") {
    if (writes.exact) await writeExactCache(tx, record.tenantId, writes.exact.key, writes.completion, writes.exact.ttlSeconds);
    if (writes.semantic) {
      await writeSemanticCache(tx, { tenantId: record.tenantId, scopeKey: writes.semantic.scopeKey, embedding: writes.semantic.embedding, completion: writes.completion, ttlSeconds: writes.semantic.ttlSeconds });
    }
  }
  return warning;
}

async function webhookUrlOf(tx: Tx, tenantId: string): Promise<string | null> {
  const rows = await rawRows<{ url: string | null }>(tx, sql`select warning_webhook_url as url from tenant_ai_settings where tenant_id = ${tenantId}`);
  return rows[0]?.url ?? null;
}

export class Meter {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: MeterOptions = {}) {}

  /** Queues the write and returns at once; `flush()` waits for everything queued so far. */
  record(record: CallRecord): void {
    const task = this.writeWithRetry(record).finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async writeWithRetry(record: CallRecord): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { warning, webhookUrl } = await withTenant(
          record.tenantId,
          async (tx) => {
            const warning = await writeRecord(tx, record);
            const webhookUrl = warning ? await webhookUrlOf(tx, record.tenantId) : null;
            return { warning, webhookUrl };
          },
          { userId: record.userId ?? undefined, db: this.options.db },
        );
        if (warning) this.options.onSoftLimit?.(warning, webhookUrl);
        return;
      } catch (error) {
        // Idempotent on the request id, so retrying after an unknown outcome cannot double-count.
        if (attempt >= 4) {
          console.error("meter: usage event could not be written", JSON.stringify({ ...record, cacheWrites: undefined }), error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }
}
