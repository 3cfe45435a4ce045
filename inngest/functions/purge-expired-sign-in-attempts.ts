import { purgeExpiredAttempts } from "@/lib/auth/attempt-throttle";
import { inngest } from "../client";

/** Sign-in and sign-up throttling counters older than a day (and not locking anything) go, hourly. */
export const purgeExpiredSignInAttemptsHourly = inngest.createFunction(
  { id: "purge-expired-sign-in-attempts", triggers: [{ cron: "TZ=UTC 15 * * * *" }] },
  async ({ step }) => {
    const deleted = await step.run("purge-expired-attempts", () => purgeExpiredAttempts());
    return { deleted };
  },
);
