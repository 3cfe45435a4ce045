// Offline calls spend no allowance: a workspace at its hard limit (or a member at their cap) can
// still use the offline model when it is the only provider; its calls are metered and visible, and
// they never count in quota_periods (what the limits are enforced against) nor hold a reservation.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { withSystem } from "@/db/scope";
import { rawRows } from "@/db/raw-rows";
import { baseGatewayConfig } from "@/lib/ai/config";
import { getAdminUsageReport } from "@/lib/usage/report";
import { addMember, createTenant } from "@/test/fixtures";
import { drain, eventsOf, newGateway, quotaRow, setLimits, startFakeProvidersForFile, testConfig, userPrompt } from "@/test/gateway-harness";
import { spendsAllowance } from "./gateway/admission";

const servers = startFakeProvidersForFile();
const offlineOnly = () => newGateway({ ...baseGatewayConfig, providers: [], profileTtlMs: 0, cache: { ttlSeconds: 3600, semanticThresholds: {} } });
const notes = "The Aberdeen fleet is inspected twice a year. Spare blades ship from Porto.";

async function reservations(tenantId: string): Promise<number> {
  const [row] = await withSystem("test: count reservations", (tx) =>
    rawRows<{ n: number }>(tx, sql`select count(*)::int as n from quota_reservations where tenant_id = ${tenantId}::uuid`),
  );
  return row?.n ?? 0;
}

describe("the offline model and the plan's allowance", { timeout: 120_000 }, () => {
  it("charges every chain that a paid provider can serve, and no chain only the offline model serves", () => {
    expect(spendsAllowance([{ provider: "offline", model: "keel-offline-extractive" }])).toBe(false);
    expect(spendsAllowance([{ provider: "openai", model: "gpt-4.1-mini" }])).toBe(true);
    expect(
      spendsAllowance([
        { provider: "openai", model: "gpt-4.1-mini" },
        { provider: "offline", model: "keel-offline-extractive" },
      ]),
    ).toBe(true);
  });

  it("serves a workspace at its hard limit on the offline model, metered, without counting it against the limit", async () => {
    const tenant = await createTenant("Offline at limit");
    await setLimits(tenant, { monthlyTokenLimit: 200 });
    // Paid usage up to the limit: the fake provider reports 150 + 60 tokens, so the next paid call is refused.
    const paid = newGateway(testConfig(servers.openai, servers.gemini));
    servers.openai.script({ kind: "text", text: "Paid answer.", usage: { input: 150, output: 60 } });
    const ctx = { tenantId: tenant.tenantId, userId: tenant.userId, feature: "chat", cache: { noCache: true, noStore: true } };
    await paid.generate(ctx, { role: "chat", prompt: userPrompt("hello"), maxOutputTokens: 50 });
    await paid.flush();
    await expect(paid.generate(ctx, { role: "chat", prompt: userPrompt("hello again"), maxOutputTokens: 50 })).rejects.toMatchObject({
      code: "quota_exceeded",
      status: 402,
    });
    const atLimit = await quotaRow(tenant.tenantId);
    expect(atLimit).toMatchObject({ usedTokens: 210, reservedTokens: 0 });

    const offline = offlineOnly();
    const answer = await offline.generate(ctx, { role: "chat", prompt: userPrompt("How often is the Aberdeen fleet inspected?", notes) });
    expect(answer).toMatchObject({ provider: "offline", offline: true });
    expect(answer.text).toContain("twice a year");
    const vectors = await offline.embed({ ...ctx, feature: "retrieval" }, ["Aberdeen inspections", "spare blades"]);
    expect(vectors.embeddings).toHaveLength(2);
    // Streaming takes the same admission.
    const stream = await offline.stream(ctx, { role: "chat", prompt: userPrompt("Where do spare blades ship from?", notes) });
    await drain(stream.parts);
    await offline.flush();

    // Metered and visible...
    const events = await eventsOf(tenant.tenantId);
    const offlineEvents = events.filter((e) => e.provider === "offline");
    expect(offlineEvents.map((e) => e.feature).sort()).toEqual(["chat", "chat", "retrieval"]);
    for (const event of offlineEvents) expect(event.inputTokens).toBeGreaterThan(0);
    // ...but nothing reserved and nothing counted: paid usage is what it was.
    expect(await quotaRow(tenant.tenantId)).toEqual(atLimit);
    expect(await reservations(tenant.tenantId)).toBe(0);

    // The usage page shows the two apart; its limit lines read paid usage only.
    const report = await getAdminUsageReport(tenant, new Date().toISOString().slice(0, 7) + "-01");
    expect(report.paid).toMatchObject({ requests: 1, inputTokens: 150, outputTokens: 60 });
    expect(report.offline.requests).toBe(3);
    expect(report.offline.inputTokens).toBe(offlineEvents.reduce((sum, e) => sum + e.inputTokens, 0));
    expect(report.totals.requests).toBe(events.length);
    expect(report.forecast?.tokens).toBeDefined();
    expect(report.cumulative.tokens.filter((p) => p.actual !== null).at(-1)?.actual).toBe(210);
  });

  it("serves a member past their personal cap on the offline model", async () => {
    const owner = await createTenant("Offline member cap");
    const member = await addMember(owner, "member");
    await setLimits(owner, { memberMonthlyTokenCap: 1 });
    const paid = newGateway(testConfig(servers.openai, servers.gemini));
    const ctx = { tenantId: owner.tenantId, userId: member.userId, feature: "chat", cache: { noCache: true, noStore: true } };
    await expect(paid.generate(ctx, { role: "chat", prompt: userPrompt("hello"), maxOutputTokens: 50 })).rejects.toMatchObject({ code: "quota_exceeded" });
    const answer = await offlineOnly().generate(ctx, { role: "chat", prompt: userPrompt("Where do spare blades ship from?", notes) });
    expect(answer.text).toContain("Porto");
  });
});
