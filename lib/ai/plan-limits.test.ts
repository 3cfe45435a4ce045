// Plan allowances bound every tenant: a tenant may lower its limits, never raise them past its
// plan, whatever its settings row says; long requests escalate only within the tenant's tier.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { quotaPeriods, tenantAiSettings } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import type { OperatorContext } from "@/lib/auth/operator";
import { isKeelError, type KeelError } from "@/lib/errors";
import { changeTenantPlan } from "@/lib/operator/tenant-plans";
import { createTenant } from "@/test/fixtures";
import { generationRequests, newGateway, setLimits, startFakeProvidersForFile, testConfig, userPrompt } from "@/test/gateway-harness";
import { getQuotaStatus, updateAiSettings, type AiSettingsInput } from "./ai-settings";
import { planAllowances } from "./plans";
import { defaultRoutes, resolveChain } from "./routing";

const servers = startFakeProvidersForFile();
let operator: OperatorContext;
beforeAll(async () => {
  const someone = await createTenant("Operations");
  operator = { userId: someone.userId, email: someone.email };
});

const settings = (limits: Partial<AiSettingsInput>): AiSettingsInput => ({
  monthlyTokenLimit: null,
  monthlyUsdLimit: null,
  memberMonthlyTokenCap: null,
  softLimitPercent: 80,
  downgradeAtSoftLimit: false,
  warningWebhookUrl: null,
  ...limits,
});

async function periodLimits(tenantId: string) {
  const [row] = await withSystem("test: read the quota period's limits", (tx) =>
    tx
      .select({ tokenLimit: quotaPeriods.tokenLimit, microUsdLimit: quotaPeriods.microUsdLimit, reservedTokens: quotaPeriods.reservedTokens })
      .from(quotaPeriods)
      .where(eq(quotaPeriods.tenantId, tenantId)),
  );
  return row;
}

async function refusal(run: Promise<unknown>): Promise<KeelError> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isKeelError(error)) throw new Error(`expected a KeelError, got ${String(error)}`);
  return error;
}

describe("a tenant's own limits", () => {
  it("may be lowered below the plan's allowance but never raised above it", async () => {
    const tenant = await createTenant("Free and ambitious");
    const free = planAllowances.free;
    const tooMany = await refusal(updateAiSettings(tenant, settings({ monthlyTokenLimit: 1e12, monthlyUsdLimit: 1e6 })));
    expect(tooMany).toMatchObject({ code: "invalid_input", status: 400 });
    expect(tooMany.fieldErrors.monthlyTokenLimit).toMatch(/free plan allows at most 500,000 tokens/);
    expect(tooMany.fieldErrors.monthlyUsdLimit).toMatch(/free plan allows at most \$5\.00/);
    // One token or one cent over is over.
    expect((await refusal(updateAiSettings(tenant, settings({ monthlyTokenLimit: free.monthlyTokens! + 1 })))).fieldErrors).toHaveProperty("monthlyTokenLimit");
    expect((await refusal(updateAiSettings(tenant, settings({ monthlyUsdLimit: 5.01 })))).fieldErrors).toHaveProperty("monthlyUsdLimit");
    const stored = await withTenant(tenant.tenantId, (tx) => tx.select().from(tenantAiSettings));
    expect(stored).toEqual([]);

    await updateAiSettings(tenant, settings({ monthlyTokenLimit: 1_000, monthlyUsdLimit: 5 }));
    expect(await getQuotaStatus(tenant)).toMatchObject({
      plan: "free",
      tokenLimit: 1_000,
      microUsdLimit: 5_000_000,
      ownTokenLimit: 1_000,
      ownMicroUsdLimit: 5_000_000,
      allowance: { monthlyTokens: 500_000, monthlyMicroUsd: 5_000_000 },
    });
  });

  it("are bounded by the plan at the gateway even when an old settings row says more", async () => {
    const tenant = await createTenant("Old row");
    // Written before allowances bound tenants (or kept after a downgrade): far above the free plan.
    await withSystem("test: a settings row from before plan allowances", (tx) =>
      tx.insert(tenantAiSettings).values({ tenantId: tenant.tenantId, monthlyTokenLimit: 1e12, monthlyMicroUsdLimit: 1e12 }),
    );
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 1, output: 1 } });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const profile = await gateway.profile(tenant.tenantId);
    expect(profile).toMatchObject({ tokenLimit: 500_000, microUsdLimit: 5_000_000, ownTokenLimit: 1e12 });

    // Reserves its estimate (input + 600,000 output tokens): more than the free plan's whole month.
    const call = gateway.generate({ tenantId: tenant.tenantId, feature: "api" }, { role: "chat", prompt: userPrompt("hi"), maxOutputTokens: 600_000 });
    await expect(call).rejects.toMatchObject({ code: "quota_exceeded", status: 402, quota: { limit: "tokens" } });
    expect(generationRequests(servers.openai)).toHaveLength(0);
    expect(await periodLimits(tenant.tenantId)).toEqual({ tokenLimit: 500_000, microUsdLimit: 5_000_000, reservedTokens: 0 });
  });

  it("are bounded again when the plan changes: a downgrade lowers the current period's limits at once", async () => {
    const tenant = await createTenant("Downgraded");
    await changeTenantPlan(operator, tenant.tenantId, "pro");
    await setLimits(tenant, { monthlyTokenLimit: 10_000_000 });
    servers.openai.setDefault({ kind: "text", text: "ok", usage: { input: 1, output: 1 } });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    await gateway.generate({ tenantId: tenant.tenantId, feature: "api" }, { role: "chat", prompt: userPrompt("hi"), maxOutputTokens: 10 });
    await gateway.flush();
    expect(await periodLimits(tenant.tenantId)).toMatchObject({ tokenLimit: 10_000_000, microUsdLimit: 200_000_000 });
    await changeTenantPlan(operator, tenant.tenantId, "free");
    expect(await periodLimits(tenant.tenantId)).toMatchObject({ tokenLimit: 500_000, microUsdLimit: 5_000_000 });
    const [row] = await withSystem("test: the tenant's own setting is kept", (tx) =>
      tx.select().from(tenantAiSettings).where(eq(tenantAiSettings.tenantId, tenant.tenantId)),
    );
    expect(row?.monthlyTokenLimit).toBe(10_000_000);
  });
});

describe("long requests", () => {
  const chainFor = (tier: "free" | "pro" | "enterprise", estimatedInputTokens: number) =>
    resolveChain(defaultRoutes, { role: "chat", tier, estimatedInputTokens, providers: ["openai", "google"], compatibleModels: {} }).map((t) => t.model);

  it("escalate to the long-context chain only on tiers that have one: never from free to pro-grade models", () => {
    expect(chainFor("free", 100)).toEqual(["gpt-4.1-mini", "gemini-2.5-flash-lite"]);
    expect(chainFor("free", 200_000)).toEqual(["gpt-4.1-mini", "gemini-2.5-flash-lite"]);
    expect(chainFor("pro", 100)).toEqual(["gpt-4.1", "gemini-2.5-flash"]);
    expect(chainFor("pro", 200_000)).toEqual(["gpt-4.1", "gemini-2.5-pro"]);
    expect(chainFor("enterprise", 200_000)).toEqual(["gpt-4.1", "gemini-2.5-pro"]);
  });

  it("follow the tenant's plan at the gateway", async () => {
    const tenant = await createTenant("Long reader");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const longChain = async () => (await gateway.chainFor(tenant.tenantId, "chat", 200_000)).map((t) => t.model);
    expect(await longChain()).toEqual(["gpt-4.1-mini", "gemini-2.5-flash-lite"]);
    await changeTenantPlan(operator, tenant.tenantId, "pro");
    gateway.forgetTenant(tenant.tenantId);
    expect(await longChain()).toEqual(["gpt-4.1", "gemini-2.5-pro"]);
  });
});
