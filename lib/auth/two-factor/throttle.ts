// Limits on the second step and the passkey endpoints (issue 19.8), on the same counters as
// sign-in (lib/auth/attempt-throttle.ts): each attempt is counted before any code is checked, in
// one atomic statement per counter. A wrong code is judged per account (a hard cap across every
// address: 10 per 15 minutes, so guessing a 6-digit code, three of which are good at any moment,
// succeeds about once in 33,000 windows, on top of knowing the password), per account from one
// address and per address, as sign-in is. A success forgives the account's counters.
import { KeelError } from "@/lib/errors";
import { addressGroup } from "../client-ip";
import { admitAttempt, forgiveAttempts, throttleKey, type ThrottleRule } from "../attempt-throttle";

const minute = 60_000;
const slowing = { windowMs: 15 * minute, lockMs: 15 * minute, delayStepMs: 500, maxDelayMs: 4_000 };
const flat = (name: string, attempts: number, windowMs: number): ThrottleRule => ({
  name,
  freeAttempts: attempts,
  maxAttempts: attempts,
  windowMs,
  lockMs: windowMs,
  delayStepMs: 0,
  maxDelayMs: 0,
});

const twoFactorThrottle = {
  /** Second-step codes from one address, for any accounts. */
  codeFromAddress: { name: "2fa-address", freeAttempts: 10, maxAttempts: 40, ...slowing },
  /** One account's second step from one address. */
  codeForAccountFromAddress: { name: "2fa-account-address", freeAttempts: 3, maxAttempts: 8, ...slowing },
  /** One account's second step from every address together: the cap on guessing. */
  codeForAccount: { name: "2fa-account", freeAttempts: 10, maxAttempts: 10, ...slowing, delayStepMs: 0 },
  /** Passwordless passkey ceremonies started from one address (each writes a challenge row). */
  passkeyOptionsFromAddress: flat("passkey-options-address", 30, 15 * minute),
  /** Passwordless passkey sign-ins tried from one address. */
  passkeySignInFromAddress: { name: "passkey-signin-address", freeAttempts: 10, maxAttempts: 40, ...slowing },
  /** A signed-in person's set-up checks (confirm a code, disable, new recovery codes, register a passkey). */
  setupForUser: flat("2fa-setup", 10, 15 * minute),
} satisfies Record<string, ThrottleRule>;

type TwoFactorThrottleRule = keyof typeof twoFactorThrottle;

function tooMany(retryAt: Date, now: Date, what: string): KeelError {
  const wait = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / minute));
  return new KeelError("rate_limited", `Too many ${what}. Try again in ${wait} minute${wait === 1 ? "" : "s"}.`);
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts one attempt on each counter in order; refuses at the first that is spent, else waits out the longest delay. */
export async function admitTwoFactorAttempt(
  counters: Array<[TwoFactorThrottleRule, string]>,
  what: string,
  options: { now?: Date; sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  const { now = new Date(), sleep = realSleep } = options;
  let delayMs = 0;
  for (const [name, subject] of counters) {
    const rule = twoFactorThrottle[name];
    const admission = await admitAttempt(throttleKey(rule, subject), rule, now);
    if (!admission.allowed) throw tooMany(admission.retryAt, now, what);
    delayMs = Math.max(delayMs, admission.delayMs);
  }
  if (delayMs > 0) await sleep(delayMs);
}

/** The counters a second-step code is judged by. */
export function secondStepCounters(userId: string, address: string | null): Array<[TwoFactorThrottleRule, string]> {
  const group = address ? addressGroup(address) : "unknown";
  const counters: Array<[TwoFactorThrottleRule, string]> = [];
  if (address) counters.push(["codeFromAddress", group]);
  counters.push(["codeForAccountFromAddress", `${userId}\n${group}`], ["codeForAccount", userId]);
  return counters;
}

/** After a right second step: the account's counters start afresh (the address keeps its count). */
export async function forgiveSecondStep(userId: string, address: string | null): Promise<void> {
  const group = address ? addressGroup(address) : "unknown";
  await forgiveAttempts(throttleKey(twoFactorThrottle.codeForAccountFromAddress, `${userId}\n${group}`));
  await forgiveAttempts(throttleKey(twoFactorThrottle.codeForAccount, userId));
}
