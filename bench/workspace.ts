// The benchmarks' workspace: an owner on the enterprise plan (limits above any paid plan's
// allowance are refused otherwise) whose limits are far above any run, still enforced but never
// refusing. Import it dynamically, after the benchmark has pointed DATABASE_URL at its database.
import { updateAiSettings } from "../lib/ai/ai-settings";
import { updateRateLimits } from "../lib/ai/rate-limit-settings";
import { changeTenantPlan } from "../lib/operator/tenant-plans";
import { signUp } from "../lib/tenancy/sign-up";

export const BENCH_PASSWORD = "bench-password-123";

export async function seedBenchWorkspace(workspaceName: string, email = `bench-${Date.now()}@example.test`) {
  const seeded = await signUp({ name: "Bench", email, password: BENCH_PASSWORD, workspaceName }, { clientAddress: "127.0.0.1" });
  const ctx = { ...seeded, role: "owner" as const };
  await changeTenantPlan({ userId: seeded.userId, email: "bench@example.test" }, seeded.tenantId, "enterprise");
  await updateAiSettings(ctx, {
    monthlyTokenLimit: 1e12,
    monthlyUsdLimit: 1e6,
    memberMonthlyTokenCap: null,
    softLimitPercent: 100,
    downgradeAtSoftLimit: false,
    warningWebhookUrl: null,
  });
  // The API rate limits too: counted on every call, never reached by a run (enterprise may raise them).
  await updateRateLimits(ctx, { keyRequestsPerMinute: 1e9, keyTokensPerMinute: 1e9, workspaceRequestsPerMinute: 1e9, workspaceTokensPerMinute: 1e9 });
  return { ctx, email, password: BENCH_PASSWORD };
}
