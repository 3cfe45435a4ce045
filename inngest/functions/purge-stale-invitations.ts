import { purgeStaleInvitations } from "@/lib/tenancy/purge-stale-invitations";
import { inngest } from "../client";

export const purgeStaleInvitationsNightly = inngest.createFunction(
  { id: "purge-stale-invitations", triggers: [{ cron: "TZ=UTC 30 3 * * *" }] },
  async ({ step }) => {
    const deleted = await step.run("purge-stale-invitations", () => purgeStaleInvitations());
    return { deleted };
  },
);
