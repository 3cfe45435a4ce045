// Records each model call after it ends, off the response path: one usage event (idempotent on
// the request id), the daily rollup, the quota settlement, the soft-limit warning and any cache
// write, all in one transaction so they never disagree.
import { sql } from "drizzle-orm";
import type { CacheStatus, CachedCompletion, CallStatus, ValidationOutcome } from "@/db/schema";
import type { Db, Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import { writeExactCache, writeSemanticCache } from "./cache";
import { claimSoftWarning, settleMemberQuota, settleQuota, softLimitCrossed, type Reservation } from "./quota";
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

/**
 * Writes a batch of one tenant's records in one transaction: a few statements whatever the batch
 * size, so a busy tenant's quota row is locked once per batch rather than once per call.
 */
async function writeBatch(tx: Tx, tenantId: string, records: CallRecord[]): Promise<SoftLimitWarning | null> {
  const rows = records.map(
    (r) =>
      sql`(${tenantId}::uuid, ${r.requestId}, ${r.userId}::uuid, ${r.apiKeyId}::uuid, ${r.feature}, ${r.role}, ${r.provider}, ${r.model}, ${r.inputTokens}::int,
           ${r.outputTokens}::int, ${r.costMicroUsd}::bigint, ${r.savedMicroUsd}::bigint, ${r.latencyMs}::int, ${r.timeToFirstTokenMs}::int,
           ${r.cacheStatus}::cache_status, ${r.fallbackCount}::int, ${r.attempts}::int, ${r.status}::call_status, ${r.errorCode}, ${r.validation}::validation_outcome)`,
  );
  const inserted = await rawRows<{ request_id: string }>(
    tx,
    sql`insert into usage_events (tenant_id, request_id, user_id, api_key_id, feature, role, provider, model, input_tokens, output_tokens,
          cost_micro_usd, saved_micro_usd, latency_ms, time_to_first_token_ms, cache_status, fallback_count, attempts, status, error_code, validation)
        values ${sql.join(rows, sql`, `)}
        on conflict (tenant_id, request_id) do nothing
        returning request_id`,
  );
  // A replayed record (same request id) changes nothing: its spend was counted the first time.
  const freshIds = new Set(inserted.map((r) => r.request_id));
  const fresh = records.filter((r, i) => freshIds.has(r.requestId) && records.findIndex((o) => o.requestId === r.requestId) === i);

  const rollups = new Map<string, { provider: string; model: string; requests: number; input: number; output: number; cost: number; saved: number; hits: number; errors: number }>();
  for (const r of fresh) {
    const key = `${r.provider}\u0000${r.model}`;
    const row = rollups.get(key) ?? { provider: r.provider, model: r.model, requests: 0, input: 0, output: 0, cost: 0, saved: 0, hits: 0, errors: 0 };
    row.requests += 1;
    row.input += r.inputTokens;
    row.output += r.outputTokens;
    row.cost += r.costMicroUsd;
    row.saved += r.savedMicroUsd;
    row.hits += r.cacheStatus === "exact" || r.cacheStatus === "semantic" ? 1 : 0;
    row.errors += r.status === "error" ? 1 : 0;
    rollups.set(key, row);
  }
  if (rollups.size > 0) {
    const day = dayOf();
    // Sorted keys: concurrent batches lock rollup rows in the same order, so they cannot deadlock.
    const values = [...rollups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => sql`(${tenantId}::uuid, ${day}::date, ${v.provider}, ${v.model}, ${v.requests}::int, ${v.input}::bigint, ${v.output}::bigint, ${v.cost}::bigint, ${v.saved}::bigint, ${v.hits}::int, ${v.errors}::int)`);
    await tx.execute(sql`
      insert into usage_daily as d (tenant_id, day, provider, model, requests, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_hits, errors)
      values ${sql.join(values, sql`, `)}
      on conflict (tenant_id, day, provider, model) do update set
        requests = d.requests + excluded.requests, input_tokens = d.input_tokens + excluded.input_tokens, output_tokens = d.output_tokens + excluded.output_tokens,
        cost_micro_usd = d.cost_micro_usd + excluded.cost_micro_usd, saved_micro_usd = d.saved_micro_usd + excluded.saved_micro_usd,
        cache_hits = d.cache_hits + excluded.cache_hits, errors = d.errors + excluded.errors`);
  }

  // Settle every reservation in the batch: one statement per quota period (almost always one).
  const freshSet = new Set(fresh);
  const settled = records.filter((r) => r.reservation);
  const periods = [...new Set(settled.map((r) => r.reservation!.periodStart))].sort();
  let warning: SoftLimitWarning | null = null;
  for (const periodStart of periods) {
    const inPeriod = settled.filter((r) => r.reservation!.periodStart === periodStart);
    const spend = inPeriod.filter((r) => freshSet.has(r)).reduce((sum, r) => ({ tokens: sum.tokens + r.inputTokens + r.outputTokens, microUsd: sum.microUsd + r.costMicroUsd }), { tokens: 0, microUsd: 0 });
    // Member caps first: they read the reservations that settleQuota then deletes.
    for (const [userId, members] of groupBy(inPeriod.filter((r) => r.reservation!.memberCharged && r.userId), (r) => r.userId!)) {
      await settleMemberQuota(tx, { tenantId, periodStart, userId, reservationIds: members.map((r) => r.reservation!.id), tokens: members.filter((r) => freshSet.has(r)).reduce((sum, r) => sum + r.inputTokens + r.outputTokens, 0) });
    }
    const period = await settleQuota(tx, { tenantId, periodStart, reservationIds: inPeriod.map((r) => r.reservation!.id) }, spend);
    const crossed = period && !period.softWarnedAt ? softLimitCrossed(period) : null;
    if (crossed && (await claimSoftWarning(tx, { tenantId, periodStart }))) {
      const message =
        crossed === "tokens"
          ? `This workspace has used ${period!.softLimitPercent}% of its monthly AI token allowance.`
          : `This workspace has used ${period!.softLimitPercent}% of its monthly AI spending limit.`;
      await tx.execute(sql`insert into tenant_notices (tenant_id, kind, message) values (${tenantId}, 'quota.soft_limit', ${message})`);
      warning = { tenantId, limit: crossed, message };
    }
  }

  for (const r of fresh) {
    const writes = r.cacheWrites;
    if (!writes || r.status !== "ok") continue;
    if (writes.exact) await writeExactCache(tx, tenantId, writes.exact.key, writes.completion, writes.exact.ttlSeconds);
    if (writes.semantic) {
      await writeSemanticCache(tx, { tenantId, scopeKey: writes.semantic.scopeKey, embedding: writes.semantic.embedding, completion: writes.completion, ttlSeconds: writes.semantic.ttlSeconds });
    }
  }
  return warning;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

async function webhookUrlOf(tx: Tx, tenantId: string): Promise<string | null> {
  const rows = await rawRows<{ url: string | null }>(tx, sql`select warning_webhook_url as url from tenant_ai_settings where tenant_id = ${tenantId}`);
  return rows[0]?.url ?? null;
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
        const { warning, webhookUrl } = await withTenant(
          tenantId,
          async (tx) => {
            const warning = await writeBatch(tx, tenantId, records);
            return { warning, webhookUrl: warning ? await webhookUrlOf(tx, tenantId) : null };
          },
          { db: this.options.db },
        );
        if (warning) this.options.onSoftLimit?.(warning, webhookUrl);
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
