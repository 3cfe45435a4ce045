// Slows, then refuses, repeated sign-in failures per email and per IP. State lives in Postgres
// so every app instance enforces the same limits. Messages never say whether an email exists.
import { createHash } from "node:crypto";
import { inArray, sql } from "drizzle-orm";
import { signInAttempts } from "@/db/schema";
import { withSystem } from "@/db/scope";
import type { Db } from "@/db/client";
import { KeelError } from "@/lib/errors";

export interface ThrottleRule {
  /** Failures allowed at full speed inside the window. */
  freeFailures: number;
  /** Failures after which the key is refused for `lockMs`. */
  lockAfter: number;
}

export const throttlePolicy = {
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  delayStepMs: 500,
  maxDelayMs: 4_000,
  email: { freeFailures: 3, lockAfter: 8 } satisfies ThrottleRule,
  ip: { freeFailures: 10, lockAfter: 40 } satisfies ThrottleRule,
};

export function throttleKeys(email: string, ip: string | null): { email: string; ip: string | null } {
  const digest = createHash("sha256").update(email.trim().toLowerCase()).digest("hex");
  return { email: `email:${digest}`, ip: ip ? `ip:${ip}` : null };
}

function ruleFor(key: string): ThrottleRule {
  return key.startsWith("ip:") ? throttlePolicy.ip : throttlePolicy.email;
}

export interface ThrottleVerdict {
  /** How long to wait before checking the password. */
  delayMs: number;
}

/** Throws `rate_limited` while any key is locked; otherwise says how much to slow down. */
export async function checkSignInThrottle(keys: string[], now = new Date(), db?: Db): Promise<ThrottleVerdict> {
  const rows = await withSystem("sign-in throttle: read attempts", (tx) => tx.select().from(signInAttempts).where(inArray(signInAttempts.key, keys)), { db });
  let delayMs = 0;
  for (const row of rows) {
    if (row.lockedUntil && row.lockedUntil > now) {
      const minutes = Math.ceil((row.lockedUntil.getTime() - now.getTime()) / 60_000);
      throw new KeelError("rate_limited", `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
    }
    if (now.getTime() - row.windowStartedAt.getTime() > throttlePolicy.windowMs) continue;
    const excess = row.failures - ruleFor(row.key).freeFailures;
    if (excess > 0) delayMs = Math.max(delayMs, Math.min(throttlePolicy.maxDelayMs, throttlePolicy.delayStepMs * 2 ** (excess - 1)));
  }
  return { delayMs };
}

export async function recordSignInFailure(keys: string[], now = new Date(), db?: Db): Promise<void> {
  // ISO strings cast in SQL: both engines bind them the same way.
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - throttlePolicy.windowMs).toISOString();
  await withSystem(
    "sign-in throttle: count failure",
    async (tx) => {
      for (const key of keys) {
        const rule = ruleFor(key);
        const lockUntil = new Date(now.getTime() + throttlePolicy.lockMs).toISOString();
        // One statement per key: concurrent failures are counted, never lost.
        await tx.execute(sql`
          insert into sign_in_attempts as a (key, failures, window_started_at, locked_until)
          values (${key}, 1, ${at}::timestamptz, null)
          on conflict (key) do update set
            failures = case when a.window_started_at < ${windowStart}::timestamptz then 1 else a.failures + 1 end,
            window_started_at = case when a.window_started_at < ${windowStart}::timestamptz then ${at}::timestamptz else a.window_started_at end,
            locked_until = case
              when a.window_started_at >= ${windowStart}::timestamptz and a.failures + 1 >= ${rule.lockAfter} then ${lockUntil}::timestamptz
              else a.locked_until end`);
      }
    },
    { db },
  );
}

/** A successful sign-in forgives the email's failures; the IP's count stays. */
export async function clearSignInFailures(emailKey: string, db?: Db): Promise<void> {
  await withSystem("sign-in throttle: clear after success", (tx) => tx.delete(signInAttempts).where(inArray(signInAttempts.key, [emailKey])), { db });
}
