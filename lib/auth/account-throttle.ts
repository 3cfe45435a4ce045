// Limits on the endpoints that send mail or check a password outside sign-in (issue 19.2, 19.8).
// Each attempt is counted before any work, whether or not the email belongs to an account, so
// neither the answer nor the count says whether it does. Counters live in the same table as the
// sign-in throttle (lib/auth/attempt-throttle.ts), so every app process enforces the same limits.
import { KeelError } from "@/lib/errors";
import { addressGroup } from "./client-ip";
import { admitAttempt, throttleKey, type ThrottleRule } from "./attempt-throttle";

const minute = 60_000;
const hour = 60 * minute;
const flat = { delayStepMs: 0, maxDelayMs: 0 };

function rule(name: string, attempts: number, windowMs: number): ThrottleRule {
  return { name, freeAttempts: attempts, maxAttempts: attempts, windowMs, lockMs: windowMs, ...flat };
}

const accountThrottle = {
  /** Password-reset requests from one address (IPv6: one /64), for any emails. */
  resetFromAddress: rule("reset-address", 10, hour),
  /** Password-reset mails to one email, from every address together: an inbox is not flooded. */
  resetToEmail: rule("reset-email", 3, hour),
  /** Verification resends from one address (sign-up's own mail is bounded by the sign-up throttle), and mails to one email. */
  verifyFromAddress: rule("verify-address", 10, hour),
  verifyToEmail: rule("verify-email", 3, hour),
  /** Current-password checks by a signed-in user (change of password or email): a stolen session cannot guess on. */
  passwordCheck: rule("password-check", 5, 15 * minute),
  /** Email changes asked by one user: each sends a mail to an address of their choosing. */
  emailChange: rule("email-change", 5, hour),
  /** Invitation mails sent by one workspace, and resends of one invitation. */
  invitationsFromTenant: rule("invite-tenant", 50, hour),
  invitationResend: rule("invite-resend", 3, hour),
} satisfies Record<string, ThrottleRule>;

export type AccountThrottleRule = keyof typeof accountThrottle;

/** The counter key for an address, grouped like sign-in's (null: every unknown client shares one). */
export function addressKey(clientAddress: string | null): string {
  return clientAddress ? addressGroup(clientAddress) : "unknown";
}

/** Counts one attempt on each counter in order; the first that refuses stops it with `message`. */
export async function admitAccountAttempt(counters: Array<[AccountThrottleRule, string]>, message: string, now = new Date()): Promise<void> {
  for (const [name, subject] of counters) {
    const policy = accountThrottle[name];
    const admission = await admitAttempt(throttleKey(policy, subject), policy, now);
    if (!admission.allowed) {
      const wait = Math.max(1, Math.ceil((admission.retryAt.getTime() - now.getTime()) / minute));
      throw new KeelError("rate_limited", `${message} Try again in ${wait} minute${wait === 1 ? "" : "s"}.`);
    }
  }
}
