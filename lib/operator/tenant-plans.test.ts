// Only platform operators change plans, every change is audited in the tenant's log, and every
// process's gateway hears of it at once.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, tenants, users } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { baseGatewayConfig } from "@/lib/ai/config";
import { Gateway } from "@/lib/ai/gateway";
import { findOperator, operatorEmails } from "@/lib/auth/operator";
import { createTenant } from "@/test/fixtures";
import { changeTenantPlan, listTenantsForOperator } from "./tenant-plans";

describe("operators", () => {
  it("are the users whose verified email KEEL_OPERATOR_EMAILS names, compared case-insensitively", async () => {
    const ops = await createTenant("Ops");
    const owner = await createTenant("Just an owner");
    const env = { KEEL_OPERATOR_EMAILS: ` someone@else.test , ${ops.email.toUpperCase()} ` };
    expect([...operatorEmails(env)]).toEqual(["someone@else.test", ops.email]);
    // Named, but the address is not verified yet: anyone could have signed up with it.
    expect(await findOperator(ops.userId, env)).toBeNull();
    await withSystem("test: verify the operator's address", (tx) => tx.update(users).set({ emailVerified: new Date() }).where(eq(users.id, ops.userId)));
    expect(await findOperator(ops.userId, env)).toEqual({ userId: ops.userId, email: ops.email });
    // Owning a workspace makes nobody an operator.
    expect(await findOperator(owner.userId, env)).toBeNull();
    expect(await findOperator(ops.userId, {})).toBeNull();
    expect(await findOperator(ops.userId, { KEEL_OPERATOR_EMAILS: " , " })).toBeNull();
  });

  it("change a plan with an audit entry (who, from, to), and every gateway drops its cached profile", async () => {
    const ops = await createTenant("Ops desk");
    const customer = await createTenant("Customer");
    const operator = { userId: ops.userId, email: ops.email };
    const gateway = new Gateway({ ...baseGatewayConfig, providers: [], profileTtlMs: 60_000 });
    expect((await gateway.profile(customer.tenantId)).plan).toBe("free");

    expect(await changeTenantPlan(operator, customer.tenantId, "pro")).toEqual({ from: "free", to: "pro" });
    const [tenant] = await withSystem("test: read the plan", (tx) => tx.select().from(tenants).where(eq(tenants.id, customer.tenantId)));
    expect(tenant?.plan).toBe("pro");
    // Cached for a minute, yet the announcement drops it at once.
    await expect.poll(() => gateway.profile(customer.tenantId), { timeout: 3_000, interval: 20 }).toMatchObject({ plan: "pro", tokenLimit: 20_000_000 });

    const entries = await withTenant(customer.tenantId, (tx) => tx.select().from(auditLog).where(eq(auditLog.action, "tenant.plan_changed")));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      tenantId: customer.tenantId,
      actorUserId: ops.userId,
      targetType: "tenant",
      targetId: customer.tenantId,
      metadata: { from: "free", to: "pro", operatorEmail: ops.email },
    });

    // Choosing the current plan changes and records nothing.
    expect(await changeTenantPlan(operator, customer.tenantId, "pro")).toEqual({ from: "pro", to: "pro" });
    expect(await withTenant(customer.tenantId, (tx) => tx.select().from(auditLog).where(eq(auditLog.action, "tenant.plan_changed")))).toHaveLength(1);
    await expect(changeTenantPlan(operator, crypto.randomUUID(), "pro")).rejects.toMatchObject({ code: "not_found" });
  });

  it("see every tenant with its plan and this month's usage", async () => {
    const ops = await createTenant("Ops overview");
    const listed = await createTenant("Listed workspace");
    await changeTenantPlan({ userId: ops.userId, email: ops.email }, listed.tenantId, "enterprise");
    const overview = await listTenantsForOperator({ userId: ops.userId, email: ops.email });
    expect(overview.find((t) => t.id === listed.tenantId)).toMatchObject({
      name: "Listed workspace",
      plan: "enterprise",
      members: 1,
      usedTokens: 0,
      tokenLimit: null,
    });
    // No call yet this month: the limits it will open with, the plan's.
    expect(overview.find((t) => t.id === ops.tenantId)).toMatchObject({ plan: "free", tokenLimit: 500_000, microUsdLimit: 5_000_000 });
  });
});
