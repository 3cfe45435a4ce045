// The client rate-limiter-flexible's RateLimiterPostgres talks to (its `storeClient`): instead of
// one statement per limiter, as the logged-in database role, it gathers every counter a call
// touches (the key's and the workspace's requests and tokens) plus earlier calls' settlements into
// one tenant-scoped statement, keel_rate_limit_consume (db/functions): one round trip per call,
// under row-level security, on PostgreSQL and embedded PGlite alike.
//
// Only the store's upsert is served; the limiters here never get, delete, block or clear (an
// unexpected statement fails loudly rather than running unscoped).
import { callTenantFunction } from "@/db/scope";
import type { Db } from "@/db/client";

/** A RateLimiterPostgres query: a named statement with its positional values. */
interface StoreQuery {
  name?: string;
  text: string;
  values?: unknown[];
}

export interface StoreRow {
  points: number;
  expire: number;
}

interface StoreResult {
  rows: StoreRow[];
  rowCount: number;
}

interface PendingConsume {
  key: string;
  points: number;
  durationMs: number;
  resolve: (result: StoreResult) => void;
  reject: (error: unknown) => void;
}

interface TenantQueue {
  consumes: PendingConsume[];
  /** Per key: tokens to give back (negative) or add, in the window that ends at `expire`. */
  settles: Map<string, { delta: number; expire: number }>;
  inFlight: boolean;
  scheduled: boolean;
  settleTimer: ReturnType<typeof setTimeout> | null;
}

interface ConsumedRow {
  rl_key: string;
  rl_points: number | string;
  rl_expire: number | string;
}

/** A key in this store: `<limiter prefix>:<tenant id>[:<more>]`; the tenant decides the scope. */
const TENANT_IN_KEY = /^[^:]+:([0-9a-f-]{36})(?::|$)/;

export class TenantScopedStoreClient {
  private readonly queues = new Map<string, TenantQueue>();
  /** Statements sent (for tests and benchmarks), and those that carried calls' counts: one per call at most. */
  statements = 0;
  consumeStatements = 0;

  constructor(private readonly options: { db?: Db; settleLingerMs?: number } = {}) {}

  /** RateLimiterPostgres's entry point. */
  query(query: StoreQuery): Promise<StoreResult> {
    if (!query.name?.endsWith(":rlflx-upsert")) {
      return Promise.reject(new Error(`rate limits: unsupported store statement ${query.name ?? query.text.slice(0, 40)}`));
    }
    const [key, points, newExpire, now] = query.values as [string, number, number | null, number];
    const tenantId = TENANT_IN_KEY.exec(key)?.[1];
    if (!tenantId) return Promise.reject(new Error(`rate limits: no tenant in key ${key}`));
    if (newExpire === null) return Promise.reject(new Error("rate limits: windows without an expiry are not supported"));
    return new Promise((resolve, reject) => {
      const queue = this.queueOf(tenantId);
      queue.consumes.push({ key, points, durationMs: newExpire - now, resolve, reject });
      this.schedule(tenantId, queue);
    });
  }

  /**
   * Adds `delta` to a counter in the window that ends at `expire` (a later window is left alone).
   * Sent with the tenant's next call, or on its own after a short linger when none comes.
   */
  settle(key: string, delta: number, expire: number): void {
    const tenantId = TENANT_IN_KEY.exec(key)?.[1];
    if (!tenantId || delta === 0) return;
    const queue = this.queueOf(tenantId);
    const pending = queue.settles.get(key);
    // Settlements of an older window than one already pending are moot: that window is over.
    if (!pending || pending.expire < expire) queue.settles.set(key, { delta, expire });
    else if (pending.expire === expire) pending.delta += delta;
    this.armSettleTimer(tenantId, queue);
  }

  private armSettleTimer(tenantId: string, queue: TenantQueue): void {
    queue.settleTimer ??= setTimeout(() => {
      queue.settleTimer = null;
      this.schedule(tenantId, queue);
    }, this.options.settleLingerMs ?? 250);
    queue.settleTimer.unref?.();
  }

  private queueOf(tenantId: string): TenantQueue {
    let queue = this.queues.get(tenantId);
    if (!queue) {
      queue = { consumes: [], settles: new Map(), inFlight: false, scheduled: false, settleTimer: null };
      this.queues.set(tenantId, queue);
    }
    return queue;
  }

  /**
   * At the end of the current microtask wave, so a call's limiters (which each reach `query` a
   * microtask after being asked) go out together; while a statement for the tenant is in flight,
   * what arrives waits for it and goes out in the next one.
   */
  private schedule(tenantId: string, queue: TenantQueue): void {
    if (queue.inFlight || queue.scheduled) return;
    queue.scheduled = true;
    queueMicrotask(() => {
      queue.scheduled = false;
      void this.send(tenantId, queue);
    });
  }

  private async send(tenantId: string, queue: TenantQueue): Promise<void> {
    if (queue.inFlight) return;
    const consumes = queue.consumes.splice(0);
    const settles = new Map(queue.settles);
    queue.settles.clear();
    if (queue.settleTimer) {
      clearTimeout(queue.settleTimer);
      queue.settleTimer = null;
    }
    if (consumes.length === 0 && settles.size === 0) {
      if (queue.consumes.length === 0 && queue.settles.size === 0) this.queues.delete(tenantId);
      return;
    }
    queue.inFlight = true;
    try {
      const rows = await this.execute(tenantId, consumes, settles);
      resolveConsumes(consumes, rows);
    } catch (error) {
      for (const consume of consumes) consume.reject(error);
      // Settlements are lost with the statement: the counters keep the estimates (the safe side).
    } finally {
      queue.inFlight = false;
      if (queue.consumes.length > 0) this.schedule(tenantId, queue);
      else if (queue.settles.size > 0) this.armSettleTimer(tenantId, queue);
      else this.queues.delete(tenantId);
    }
  }

  private async execute(tenantId: string, consumes: PendingConsume[], settles: Map<string, { delta: number; expire: number }>): Promise<Map<string, StoreRow>> {
    // One entry per key: the statement may write each row once.
    const entries = new Map<string, { key: string; points: number; duration: number; settle: number | null; settle_expire: number | null }>();
    for (const consume of consumes) {
      const entry = entries.get(consume.key);
      if (entry) entry.points += consume.points;
      else entries.set(consume.key, { key: consume.key, points: consume.points, duration: consume.durationMs, settle: null, settle_expire: null });
    }
    for (const [key, { delta, expire }] of settles) {
      const entry = entries.get(key) ?? { key, points: 0, duration: 0, settle: null, settle_expire: null };
      entry.settle = delta;
      entry.settle_expire = expire;
      entries.set(key, entry);
    }
    this.statements++;
    if (consumes.length > 0) this.consumeStatements++;
    const rows = await callTenantFunction<ConsumedRow>(
      "keel_rate_limit_consume",
      tenantId,
      [
        [JSON.stringify([...entries.values()]), "jsonb"],
        [Date.now(), "bigint"],
      ],
      { db: this.options.db },
    );
    return new Map(rows.map((row) => [row.rl_key, { points: Number(row.rl_points), expire: Number(row.rl_expire) }]));
  }
}

/**
 * Each consume sees the counter as it stood right after its own points: the final count less
 * what later consumes of the same key in this statement added.
 */
function resolveConsumes(consumes: PendingConsume[], rows: Map<string, StoreRow>): void {
  const laterPoints = new Map<string, number>();
  for (let i = consumes.length - 1; i >= 0; i--) {
    const consume = consumes[i]!;
    const row = rows.get(consume.key);
    if (!row) {
      consume.reject(new Error(`rate limits: no row returned for ${consume.key}`));
      continue;
    }
    const later = laterPoints.get(consume.key) ?? 0;
    laterPoints.set(consume.key, later + consume.points);
    consume.resolve({ rows: [{ points: row.points - later, expire: row.expire }], rowCount: 1 });
  }
}
