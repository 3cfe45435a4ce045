// Records each model call after it ends, off the response path: one usage event (idempotent on
// the request id), the daily rollup, the quota settlement, the soft-limit warning and any cache
// write, all in one transaction so they never disagree.
//
// No call is ever dropped:
// - one bad record cannot fail its batch: a batch refused for its data is split until the bad
//   record is alone, and that one is written without its cached text (still charged);
// - a database outage keeps records queued and retried with backoff; past a bound, the oldest go
//   to a local spill file (./spill.ts) and are replayed when the database is back or on start.
import type { Db } from "@/db/client";
import { callTenantFunction } from "@/db/scope";
import { log } from "@/core/log";
import { isDataError } from "./database-errors";
import { toUsageRow, withoutCacheWrites, type CallRecord } from "./records";
import { claimSpill, spillRecords } from "./spill";

export type { CallRecord } from "./records";

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
  /** Records held in memory while the database is unreachable; older ones are spilled to disk. */
  maxQueued?: number;
  /** Where spilled records go (default KEEL_METER_SPILL_DIR or .data/meter-spill). */
  spillDir?: string;
  /** Backoff between attempts while the database is unreachable. */
  retryDelayMs?: { base: number; max: number };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  private spilledSinceStart = false;
  /** Shut down: nothing more is written from this process; what is left goes to the spill file. */
  private closed = false;
  private readonly maxQueued: number;
  private readonly spillDir: string;
  private readonly retryDelay: { base: number; max: number };

  constructor(private readonly options: MeterOptions = {}) {
    this.maxQueued = options.maxQueued ?? 10_000;
    this.spillDir = options.spillDir ?? process.env.KEEL_METER_SPILL_DIR ?? ".data/meter-spill";
    this.retryDelay = options.retryDelayMs ?? { base: 100, max: 5_000 };
  }

  /**
   * Queues the record and returns at once. Records that arrive while a write is in flight go out
   * together in the next one: batches grow with load, and a quiet system writes immediately.
   */
  record(record: CallRecord): void {
    if (this.closed) return this.spill([record]);
    this.queue.push(record);
    if (this.queue.length > this.maxQueued) this.spill(this.queue.splice(0, this.queue.length - this.maxQueued));
    this.running ??= this.drain();
  }

  /** Waits until everything queued so far is written (through an outage, until the database is back). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Replays records spilled by earlier processes (call once at start). */
  replaySpilled(): Promise<void> {
    this.spilledSinceStart = true;
    this.running ??= this.drain();
    return this.flush();
  }

  /**
   * For shutdown: writes what it can within `deadlineMs`, then spills whatever is still queued
   * so the next start replays it.
   */
  async close(deadlineMs: number): Promise<void> {
    const timedOut = Symbol("timeout");
    const outcome = await Promise.race([this.flush(), wait(deadlineMs).then(() => timedOut)]);
    this.closed = true;
    // A write still in flight puts its records back and spills them itself if it fails.
    if (outcome === timedOut && this.queue.length > 0) this.spill(this.queue.splice(0));
  }

  private spill(records: CallRecord[]): void {
    try {
      const file = spillRecords(this.spillDir, records);
      this.spilledSinceStart = true;
      log.warn({ records: records.length, file }, "meter: database unreachable; spilled usage records to disk for replay");
    } catch (error) {
      // The disk failed too: keep them in memory rather than lose them.
      log.error({ err: error }, "meter: could not spill usage records; keeping them in memory");
      this.queue.unshift(...records);
    }
  }

  private async drain(): Promise<void> {
    // Linger briefly so that even at low concurrency a few calls share one transaction.
    await wait(this.options.lingerMs ?? 10);
    let failures = 0;
    for (;;) {
      if (this.closed) {
        if (this.queue.length > 0) this.spill(this.queue.splice(0));
        break;
      }
      if (this.queue.length === 0) {
        if (!this.spilledSinceStart || !(await this.replayOneSpill())) break;
        continue;
      }
      const batch = this.queue.splice(0, 500);
      const groups = [...groupBy(batch, (r) => r.tenantId).values()];
      const retry = (await Promise.all(groups.map((records) => this.write(records)))).flat();
      if (retry.length === 0) {
        failures = 0;
        continue;
      }
      // The database is unreachable: keep the records, oldest first, and try again after a pause.
      this.queue.unshift(...retry);
      if (this.queue.length > this.maxQueued) this.spill(this.queue.splice(0, this.queue.length - this.maxQueued));
      failures++;
      await wait(Math.min(this.retryDelay.max, this.retryDelay.base * 2 ** Math.min(failures - 1, 10)));
    }
    this.running = null;
  }

  /** One spilled file back into the database; false when there is none left (or it must wait). */
  private async replayOneSpill(): Promise<boolean> {
    const claimed = claimSpill(this.spillDir);
    if (!claimed) {
      this.spilledSinceStart = false;
      return false;
    }
    for (const records of groupBy(claimed.records, (r) => r.tenantId).values()) {
      for (let i = 0; i < records.length; i += 500) {
        if ((await this.write(records.slice(i, i + 500))).length > 0) {
          claimed.giveBack();
          return false;
        }
      }
    }
    claimed.done();
    log.info({ records: claimed.records.length }, "meter: replayed spilled usage records");
    return true;
  }

  /**
   * Writes one tenant's records; returns those to try again later (the database is unreachable).
   * Records refused for their data are split off and written alone, without their cached text.
   */
  private async write(records: CallRecord[]): Promise<CallRecord[]> {
    try {
      await this.writeBatch(records);
      return [];
    } catch (error) {
      if (!isDataError(error)) return records;
      if (records.length > 1) {
        const middle = Math.ceil(records.length / 2);
        return [...(await this.write(records.slice(0, middle))), ...(await this.write(records.slice(middle)))];
      }
      const [record] = records as [CallRecord];
      log.error(
        { err: error, requestId: record.requestId, tenantId: record.tenantId },
        "meter: a usage record was refused; writing it without its cached text",
      );
      try {
        await this.writeBatch([withoutCacheWrites(record)]);
        return [];
      } catch (again) {
        if (!isDataError(again)) return [withoutCacheWrites(record)];
        // Only a tenant deleted meanwhile gets here: there is nobody left to bill.
        log.error({ err: again, requestId: record.requestId, tenantId: record.tenantId }, "meter: usage record could not be written at all");
        return [];
      }
    }
  }

  /**
   * One round trip (keel_record_usage): events (their rollups kept by triggers), settlement, soft warning and cache writes
   * in one transaction, so they never disagree, and a busy tenant's quota row is locked once per
   * batch rather than once per call.
   */
  private async writeBatch(records: CallRecord[]): Promise<void> {
    const tenantId = records[0]!.tenantId;
    const seen = new Set<string>();
    const rows = records.map((r) => {
      const first = !seen.has(r.requestId);
      seen.add(r.requestId);
      return toUsageRow(r, first);
    });
    const [crossed] = await callTenantFunction<{ soft_limit: "tokens" | "usd"; message: string; webhook_url: string | null }>(
      "keel_record_usage",
      tenantId,
      [[JSON.stringify(rows), "jsonb"]],
      { db: this.options.db },
    );
    if (crossed) this.options.onSoftLimit?.({ tenantId, limit: crossed.soft_limit, message: crossed.message }, crossed.webhook_url);
  }
}
