import { closeDueBillingPeriods } from "@/lib/billing/close-periods";
import { inngest } from "../client";

/** Closes last month's billing period (and any earlier one still open) for every tenant; idempotent, so daily. */
export const closeBillingPeriodsDaily = inngest.createFunction({ id: "close-billing-periods", triggers: [{ cron: "TZ=UTC 15 0 * * *" }] }, async ({ step }) =>
  step.run("close-due-billing-periods", () => closeDueBillingPeriods()),
);
