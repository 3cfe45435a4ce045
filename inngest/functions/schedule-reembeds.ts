// Every 15 minutes: find the tenants with stale chunks (the one cross-tenant read, through
// withSystem) and send each its own re-embed event; each run then works in its tenant's scope.
// Event ids name the tenant and the quarter hour, so a replayed schedule sends nothing twice.
import { tenantsWithStaleEmbeddings } from "@/lib/documents/reembed/schedule";
import { inngest } from "../client";
import { embeddingsReembedRequested } from "../events";

export const scheduleReembedsEvery15Minutes = inngest.createFunction(
  { id: "schedule-reembeds", name: "Schedule re-embedding", triggers: [{ cron: "*/15 * * * *" }] },
  async ({ step }) => {
    const found = await step.run("find-tenants-with-stale-embeddings", async () => ({
      tenants: await tenantsWithStaleEmbeddings(),
      quarterHour: Math.floor(Date.now() / 900_000),
    }));
    if (found.tenants.length > 0) {
      await step.sendEvent(
        "request-tenant-reembeds",
        found.tenants.map((tenantId) => ({
          id: `reembed-${tenantId}-${found.quarterHour}`,
          name: embeddingsReembedRequested.name,
          data: { tenantId, scope: { kind: "tenant" as const } },
        })),
      );
    }
    return { tenants: found.tenants.length };
  },
);
