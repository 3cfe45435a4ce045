import { purgeExpiredAttempts } from "@/lib/auth/attempt-throttle";
import { purgeExpiredChallenges } from "@/lib/auth/two-factor/challenges";
import { inngest } from "../client";

/** Sign-in and sign-up throttling counters older than a day (and not locking anything), and second-step challenges expired over an hour ago, go, hourly. */
export const purgeExpiredSignInAttemptsHourly = inngest.createFunction(
  { id: "purge-expired-sign-in-attempts", triggers: [{ cron: "TZ=UTC 15 * * * *" }] },
  async ({ step }) => {
    const deleted = await step.run("purge-expired-attempts", () => purgeExpiredAttempts());
    const challenges = await step.run("purge-expired-two-factor-challenges", () => purgeExpiredChallenges());
    return { deleted, challenges };
  },
);
