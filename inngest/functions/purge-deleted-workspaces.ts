import { purgeDueWorkspaces } from "@/lib/tenancy/workspace-purge";
import { inngest } from "../client";

/** Purges workspaces whose grace period after deletion has ended. Its result is a count: no ids stay in the run. */
export const purgeDeletedWorkspacesHourly = inngest.createFunction(
  { id: "purge-deleted-workspaces", triggers: [{ cron: "TZ=UTC 20 * * * *" }] },
  async ({ step }) => {
    const purged = await step.run("purge-due-workspaces", () => purgeDueWorkspaces());
    return { purged };
  },
);
