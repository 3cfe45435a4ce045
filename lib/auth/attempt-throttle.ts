// Counts attempts per key in Postgres, so every app process enforces the same limits: an attempt
// is counted, atomically, before the work it guards is done, and the count says whether it may go
// ahead. A parallel burst is therefore judged attempt by attempt. Keys are hashes (bounded
// length, whatever the input), and each key is counted in its own transaction, so a failure
// writing one cannot undo another's count.
import { createHash } from "node:crypto";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { signInAttempts } from "@/db/schema";
import type { Db } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";

export interface ThrottleRule {
  /** Prefix of the rule's keys, e.g. "signin-address". */
  name: string;
  /** Attempts per window at full speed. */
  freeAttempts: number;
  /** Attempts allowed per window; the next one is refused and locks the key for `lockMs`. */
  maxAttempts: number;
  windowMs: number;
  lockMs: number;
  /** Delay before the first attempt past `freeAttempts`, doubling after each; 0: no slowdown. */
  delayStepMs: number;
  maxDelayMs: number;
}

export function throttleKey(rule: ThrottleRule, ...parts: string[]): string {
  return `${rule.name}:${createHash("sha256").update(parts.join("\n")).digest("hex")}`;
}

export type Admission = { allowed: true; /** This attempt's number in the window. */ attempt: number; delayMs: number } | { allowed: false; retryAt: Date };

function delayFor(rule: ThrottleRule, attempt: number): number {
  const excess = attempt - rule.freeAttempts;
  if (excess <= 0 || rule.delayStepMs <= 0) return 0;
  return Math.min(rule.maxDelayMs, rule.delayStepMs * 2 ** (excess - 1));
}

/** Counts one attempt on `key` and says whether it may go ahead (one statement, one transaction). */
export async function admitAttempt(key: string, rule: ThrottleRule, now = new Date(), db?: Db): Promise<Admission> {
  // ISO strings cast in SQL: both engines bind them the same way.
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - rule.windowMs).toISOString();
  const lockUntil = new Date(now.getTime() + rule.lockMs).toISOString();
  // While locked nothing changes (the lock does not grow); a stale window starts afresh; an
  // attempt past the allowance is not counted but sets the lock.
  const [row] = await withSystem(
    `throttle: count an attempt (${rule.name})`,
    (tx) =>
      rawRows<{ failures: number; locked_until: string | Date | null }>(
        tx,
        sql`
          insert into sign_in_attempts as a (key, failures, window_started_at, locked_until)
          values (${key}, 1, ${at}::timestamptz, null)
          on conflict (key) do update set
            failures = case
              when a.locked_until > ${at}::timestamptz then a.failures
              when a.window_started_at < ${windowStart}::timestamptz then 1
              when a.failures >= ${rule.maxAttempts} then a.failures
              else a.failures + 1 end,
            window_started_at = case
              when a.locked_until > ${at}::timestamptz then a.window_started_at
              when a.window_started_at < ${windowStart}::timestamptz then ${at}::timestamptz
              else a.window_started_at end,
            locked_until = case
              when a.locked_until > ${at}::timestamptz then a.locked_until
              when a.window_started_at < ${windowStart}::timestamptz then null
              when a.failures >= ${rule.maxAttempts} then ${lockUntil}::timestamptz
              else null end
          returning failures, locked_until`,
      ),
    { db },
  );
  const lockedUntil = row?.locked_until ? new Date(row.locked_until) : null;
  if (lockedUntil && lockedUntil > now) return { allowed: false, retryAt: lockedUntil };
  const attempt = Number(row?.failures ?? 1);
  return { allowed: true, attempt, delayMs: delayFor(rule, attempt) };
}

/** Forgets a key's attempts (and any lock on it). */
export async function forgiveAttempts(key: string, db?: Db): Promise<void> {
  await withSystem("throttle: forgive after success", (tx) => tx.delete(signInAttempts).where(eq(signInAttempts.key, key)), { db });
}

/** Takes back one counted attempt that turned out to be legitimate (a lock already set stays). */
export async function refundAttempt(key: string, db?: Db): Promise<void> {
  await withSystem(
    "throttle: refund a successful attempt",
    (tx) => tx.execute(sql`update sign_in_attempts set failures = greatest(failures - 1, 0) where key = ${key}`),
    { db },
  );
}

/**
 * Deletes counters whose window started over a day ago (longer than any rule's window plus its
 * lock) and that are not locked now: they would start afresh anyway. Keeps the table from growing with every
 * address and email ever tried. For a cron.
 */
export async function purgeExpiredAttempts(now = new Date(), db?: Db): Promise<number> {
  const dayAgo = new Date(now.getTime() - 24 * 60 * 60_000);
  const deleted = await withSystem(
    "throttle: purge expired counters",
    (tx) =>
      tx
        .delete(signInAttempts)
        .where(and(lt(signInAttempts.windowStartedAt, dayAgo), or(isNull(signInAttempts.lockedUntil), lt(signInAttempts.lockedUntil, now))))
        .returning({ key: signInAttempts.key }),
    { db },
  );
  return deleted.length;
}
