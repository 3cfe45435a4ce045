// Limits on the single sign-on endpoints (issue 19.8), as strong as the password sign-in's
// (lib/auth/sign-in-throttle.ts): each attempt is counted before any work, per address group
// (IPv6: per /64), in the same table, so every app process enforces them together.
//   start     "Sign in with …": redirects to the provider (cheap, but each sets cookies)
//   callback  the provider's answer: finds, links or creates an account, opens a session
//   identity  callbacks for one provider account or email, from every address together: a hard
//             cap like sign-in's per-account one
//   policy    changes of a workspace's sign-in policy
import { KeelError } from "@/lib/errors";
import { admitAttempt, throttleKey, type ThrottleRule } from "../attempt-throttle";
import { addressKey } from "../account-throttle";

const minute = 60_000;
const window = { windowMs: 15 * minute, lockMs: 15 * minute };

export const ssoThrottle = {
  start: { name: "sso-start-address", freeAttempts: 40, maxAttempts: 40, delayStepMs: 0, maxDelayMs: 0, ...window },
  callback: { name: "sso-callback-address", freeAttempts: 10, maxAttempts: 40, delayStepMs: 500, maxDelayMs: 4_000, ...window },
  identity: { name: "sso-identity", freeAttempts: 20, maxAttempts: 20, delayStepMs: 0, maxDelayMs: 0, ...window },
  policy: { name: "sso-policy-tenant", freeAttempts: 20, maxAttempts: 20, delayStepMs: 0, maxDelayMs: 0, windowMs: 60 * minute, lockMs: 60 * minute },
} satisfies Record<string, ThrottleRule>;

const refusal = (retryAt: Date, now: Date, what: string) => {
  const wait = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / minute));
  return new KeelError("rate_limited", `Too many ${what}. Try again in ${wait} minute${wait === 1 ? "" : "s"}.`);
};

/** Counts one attempt on each (rule, subject) in order; returns the longest delay to wait, or throws `rate_limited`. */
export async function admitSso(counters: Array<[ThrottleRule, string]>, what: string, now = new Date()): Promise<number> {
  let delayMs = 0;
  for (const [rule, subject] of counters) {
    const admission = await admitAttempt(throttleKey(rule, subject), rule, now);
    if (!admission.allowed) throw refusal(admission.retryAt, now, what);
    delayMs = Math.max(delayMs, admission.delayMs);
  }
  return delayMs;
}

export { addressKey };
