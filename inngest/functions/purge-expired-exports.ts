import { purgeExpiredExports } from "@/lib/exports/workspace-exports";
import { inngest } from "../client";

/** Deletes workspace exports 7 days after they were written, zip and all. */
export const purgeExpiredExportsHourly = inngest.createFunction(
  { id: "purge-expired-exports", triggers: [{ cron: "TZ=UTC 40 * * * *" }] },
  async ({ step }) => {
    const deleted = await step.run("purge-expired-exports", () => purgeExpiredExports());
    return { deleted };
  },
);
