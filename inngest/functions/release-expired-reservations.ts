import { releaseExpiredReservations } from "@/lib/ai/quota";
import { inngest } from "../client";

/** A process that died mid-call leaves its quota reservation behind; give it back. */
export const releaseExpiredReservationsEvery5Minutes = inngest.createFunction(
  { id: "release-expired-quota-reservations", triggers: [{ cron: "*/5 * * * *" }] },
  async ({ step }) => {
    const released = await step.run("release-expired-reservations", () => releaseExpiredReservations());
    return { released };
  },
);
