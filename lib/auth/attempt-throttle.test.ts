import { randomUUID } from "node:crypto";
import { inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { signInAttempts } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { admitAttempt, purgeExpiredAttempts, throttleKey, type ThrottleRule } from "./attempt-throttle";

const minute = 60_000;
const rule: ThrottleRule = { name: "test-rule", freeAttempts: 1, maxAttempts: 2, windowMs: 15 * minute, lockMs: 15 * minute, delayStepMs: 0, maxDelayMs: 0 };

async function existing(keys: string[]): Promise<string[]> {
  const rows = await withSystem("test: read counters", (tx) =>
    tx.select({ key: signInAttempts.key }).from(signInAttempts).where(inArray(signInAttempts.key, keys)),
  );
  return rows.map((r) => r.key).sort();
}

describe("purgeExpiredAttempts", () => {
  it("deletes counters whose window started over a day ago, and keeps recent ones", async () => {
    const now = new Date();
    const ago = (minutes: number) => new Date(now.getTime() - minutes * minute);
    const stale = throttleKey(rule, randomUUID());
    const recent = throttleKey(rule, randomUUID());
    await admitAttempt(stale, rule, ago(25 * 60));
    await admitAttempt(recent, rule, ago(23 * 60));
    expect(await purgeExpiredAttempts(now)).toBeGreaterThanOrEqual(1);
    expect(await existing([stale, recent])).toEqual([recent]);
  });
});
