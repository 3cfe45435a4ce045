import { pruneObservabilityRollups } from "@/lib/observability/retention";
import { inngest } from "../client";

/** Nightly: the five-minute usage buckets and actor days past their use (lib/observability/retention). */
export const pruneObservabilityRollupsNightly = inngest.createFunction(
  { id: "prune-observability-rollups", triggers: [{ cron: "TZ=UTC 45 3 * * *" }] },
  async ({ step }) => step.run("prune-observability-rollups", () => pruneObservabilityRollups()),
);
