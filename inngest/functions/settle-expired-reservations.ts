import { settleExpiredReservations } from "@/lib/ai/quota";
import { inngest } from "../client";

/** A process that died mid-call leaves its quota reservation behind: bill the call at its estimate. */
export const settleExpiredReservationsEvery5Minutes = inngest.createFunction(
  { id: "settle-expired-quota-reservations", triggers: [{ cron: "*/5 * * * *" }] },
  async ({ step }) => {
    const settled = await step.run("settle-expired-reservations", () => settleExpiredReservations());
    return { settled };
  },
);
