// The sign-in throttling policy (README, "Sign-in and sign-up limits"). Every attempt is counted
// before the password is checked, on up to three counters, each in its own transaction:
//   address         one address (IPv6: one /64) failing across any accounts: password spraying
//   email+address   one address guessing one account: the lockout, which holds only that address
//   email           one account from every address together: a hard cap on guessing, whatever
//                   number of addresses the guesser has
// An attempt that presents a known-device token for the account (lib/auth/known-device.ts) is
// counted on that token instead: a browser that signed in before is never held by the account's
// cap or a shared address, so an attacker cannot lock the owner out of it.
// A success forgives the account's counters; the address keeps its failures (its count of this
// attempt is refunded), or signing in to one's own account would reset a spraying address.
// Messages never say whether an email exists: unknown emails are counted exactly like real ones.
import type { Db } from "@/db/client";
import { KeelError } from "@/lib/errors";
import { addressGroup } from "./client-ip";
import { admitAttempt, forgiveAttempts, refundAttempt, throttleKey, type ThrottleRule } from "./attempt-throttle";

const minutes = 60_000;
const common = { windowMs: 15 * minutes, lockMs: 15 * minutes, delayStepMs: 500, maxDelayMs: 4_000 };

export const signInPolicy = {
  address: { name: "signin-address", freeAttempts: 10, maxAttempts: 40, ...common },
  emailFromAddress: { name: "signin-email-address", freeAttempts: 3, maxAttempts: 8, ...common },
  knownDevice: { name: "signin-device", freeAttempts: 3, maxAttempts: 8, ...common },
  /** No slowdown: a delay does not slow a guesser who sends in parallel; the cap does. */
  email: { name: "signin-email", freeAttempts: 20, maxAttempts: 20, ...common, delayStepMs: 0 },
} satisfies Record<string, ThrottleRule>;

export interface SignInClient {
  /** From clientIp(); null when unknown (then every unknown client shares one email+address counter). */
  address: string | null;
  /** The id of a verified known-device token for this email, if the browser presented one. */
  knownDeviceId?: string | null;
}

interface Counter {
  key: string;
  rule: ThrottleRule;
  /** Whether this attempt is counted and judged here; an unchecked counter is only forgiven on success. */
  checked: boolean;
  /** On success: forget the counter (the account's own), or only take back this attempt (the address's). */
  onSuccess: "forgive" | "refund";
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The counters an attempt is judged by, in the order they are checked. */
export function signInCounters(email: string, client: SignInClient): Counter[] {
  const account = normaliseEmail(email);
  const group = client.address ? addressGroup(client.address) : null;
  const known = Boolean(client.knownDeviceId);
  const counters: Counter[] = [];
  if (client.knownDeviceId) {
    counters.push({
      key: throttleKey(signInPolicy.knownDevice, account, client.knownDeviceId),
      rule: signInPolicy.knownDevice,
      checked: true,
      onSuccess: "forgive",
    });
  }
  if (group && !known) counters.push({ key: throttleKey(signInPolicy.address, group), rule: signInPolicy.address, checked: true, onSuccess: "refund" });
  counters.push(
    {
      key: throttleKey(signInPolicy.emailFromAddress, account, group ?? "unknown"),
      rule: signInPolicy.emailFromAddress,
      checked: !known,
      onSuccess: "forgive",
    },
    { key: throttleKey(signInPolicy.email, account), rule: signInPolicy.email, checked: !known, onSuccess: "forgive" },
  );
  return counters;
}

function rateLimitedError(retryAt: Date, now: Date): KeelError {
  const wait = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / minutes));
  return new KeelError("rate_limited", `Too many sign-in attempts. Try again in ${wait} minute${wait === 1 ? "" : "s"}.`);
}

/**
 * Counts this attempt on each counter, stopping at the first that refuses (a refused attempt
 * spends nothing further down). Throws `rate_limited`, or says how long to wait before checking
 * the password.
 */
export async function admitSignIn(counters: Counter[], now = new Date(), db?: Db): Promise<{ delayMs: number }> {
  let delayMs = 0;
  for (const counter of counters.filter((c) => c.checked)) {
    const admission = await admitAttempt(counter.key, counter.rule, now, db);
    if (!admission.allowed) throw rateLimitedError(admission.retryAt, now);
    delayMs = Math.max(delayMs, admission.delayMs);
  }
  return { delayMs };
}

/** After the right password: the account's counters are forgiven, the address's attempt refunded. */
export async function settleSuccessfulSignIn(counters: Counter[], db?: Db): Promise<void> {
  for (const counter of counters) {
    if (counter.onSuccess === "refund" && !counter.checked) continue;
    await (counter.onSuccess === "forgive" ? forgiveAttempts(counter.key, db) : refundAttempt(counter.key, db));
  }
}
