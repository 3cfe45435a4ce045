// A workspace that requires two factors, against the real database: the guard's check refuses a
// member without one (and lets them in once they have one), an admin cannot require what they lack,
// and the rule is the workspace's own.
import { Secret, TOTP } from "otpauth";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditLog, tenantTwoFactorPolicies } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { addMember, createTenant } from "@/test/fixtures";
import { confirmTotpSetup, startTotpSetup } from "./factors";
import { enforceTwoFactorPolicy, isTwoFactorSetupRequired, setTwoFactorRequired, twoFactorRequired } from "./policy";

// Each test signs people up (argon2) and runs dozens of counted transactions: on embedded PGlite
// on a busy two-core machine that can take longer than the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

beforeAll(() => {
  process.env.AUTH_SECRET = "test-auth-secret-for-two-factor-policy-0123456789";
});
afterAll(() => {
  delete process.env.AUTH_SECRET;
});

async function turnOnApp(who: { userId: string }) {
  const setup = await startTotpSetup(who);
  const code = new TOTP({ secret: Secret.fromBase32(setup.secret) }).generate();
  await confirmTotpSetup(who, code);
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

describe("requiring two factors in a workspace", () => {
  it("is refused to an admin who has no second factor", async () => {
    const owner = await createTenant("Lock-out guard");
    await expect(setTwoFactorRequired(owner, true)).rejects.toMatchObject({ code: "invalid_input" });
    expect(await twoFactorRequired(owner.tenantId)).toBe(false);
  });

  it("sends a member without a second factor to set one up, and lets them in once they have one", async () => {
    const owner = await createTenant("Strict Co");
    const member = await addMember(owner);
    await enforceTwoFactorPolicy(owner.tenantId, member.userId); // nothing required yet
    await turnOnApp(owner);
    await setTwoFactorRequired(owner, true);
    expect(await twoFactorRequired(owner.tenantId)).toBe(true);

    const refused = await refusal(enforceTwoFactorPolicy(owner.tenantId, member.userId));
    expect(isTwoFactorSetupRequired(refused)).toBe(true);
    expect(refused).toMatchObject({ code: "forbidden", status: 403 });
    await enforceTwoFactorPolicy(owner.tenantId, owner.userId);

    await turnOnApp(member);
    await enforceTwoFactorPolicy(owner.tenantId, member.userId);

    const actions = await withTenant(owner.tenantId, (tx) =>
      tx.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.tenantId, owner.tenantId)),
    );
    expect(actions.map((a) => a.action)).toContain("security.two_factor_required");

    await setTwoFactorRequired(owner, false);
    expect(await twoFactorRequired(owner.tenantId)).toBe(false);
  });

  it("holds only in the workspace that set it, and no other workspace can read or remove it", async () => {
    const strict = await createTenant("Strict");
    await turnOnApp(strict);
    await setTwoFactorRequired(strict, true);
    const relaxed = await createTenant("Relaxed");
    // The same person in another workspace, without a second factor, is not held there.
    await enforceTwoFactorPolicy(relaxed.tenantId, relaxed.userId);
    await withTenant(relaxed.tenantId, async (tx) => {
      expect(await tx.select().from(tenantTwoFactorPolicies).where(eq(tenantTwoFactorPolicies.tenantId, strict.tenantId))).toEqual([]);
      expect(await tx.delete(tenantTwoFactorPolicies).where(eq(tenantTwoFactorPolicies.tenantId, strict.tenantId)).returning()).toEqual([]);
    });
    expect(await twoFactorRequired(strict.tenantId)).toBe(true);
  });
});
