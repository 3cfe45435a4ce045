// Readiness: 200 when this process can serve real work (database reachable, migrations applied,
// jobs running), 503 with the failing checks otherwise. For load balancers and orchestrators.
import { jobRunnerStatus } from "@/lib/observability/job-runner-status";
import { readinessChecks } from "@/lib/observability/readiness";
import { publicRoute } from "@/lib/http/public-route";

export const dynamic = "force-dynamic";

export const GET = publicRoute("readiness probe: names its checks, never tenant data", async () => {
  const checks = await readinessChecks(() => jobRunnerStatus());
  const ready = checks.every((c) => c.ok);
  return Response.json({ status: ready ? "ready" : "not ready", checks }, { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } });
});
