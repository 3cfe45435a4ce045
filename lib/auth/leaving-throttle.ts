// Limits on leaving with your data (issue 19.7, 19.8): exports, deletions and restores. Counted
// before any work, in the sign-in throttle's table (lib/auth/attempt-throttle.ts), so every app
// process enforces the same limits; kept apart from account-throttle.ts so each flow owns its rules.
import { KeelError } from "@/lib/errors";
import { admitAttempt, throttleKey, type ThrottleRule } from "./attempt-throttle";

const minute = 60_000;
const hour = 60 * minute;

function rule(name: string, attempts: number, windowMs: number): ThrottleRule {
  return { name, freeAttempts: attempts, maxAttempts: attempts, windowMs, lockMs: windowMs, delayStepMs: 0, maxDelayMs: 0 };
}

const leavingThrottle = {
  /** Exports of one workspace: each reads every row and file it holds. */
  exportPerWorkspace: rule("export-workspace", 3, 24 * hour),
  /** Downloads of exports by one person (a zip can be large). */
  exportDownload: rule("export-download", 30, hour),
  /** Deletion requests (account or workspace) by one person, whatever their outcome. */
  deletionPerUser: rule("deletion-user", 5, hour),
  /** Restores of scheduled workspaces by one person. */
  restorePerUser: rule("restore-user", 10, hour),
} satisfies Record<string, ThrottleRule>;

type LeavingThrottleRule = keyof typeof leavingThrottle;

/** Counts one attempt on the rule's counter for `subject`; refuses with `message` and when to retry. */
export async function admitLeavingAttempt(name: LeavingThrottleRule, subject: string, message: string, now = new Date()): Promise<void> {
  const policy = leavingThrottle[name];
  const admission = await admitAttempt(throttleKey(policy, subject), policy, now);
  if (admission.allowed) return;
  const minutes = Math.max(1, Math.ceil((admission.retryAt.getTime() - now.getTime()) / minute));
  const wait = minutes >= 120 ? `${Math.ceil(minutes / 60)} hours` : `${minutes} minute${minutes === 1 ? "" : "s"}`;
  throw new KeelError("rate_limited", `${message} Try again in ${wait}.`);
}
