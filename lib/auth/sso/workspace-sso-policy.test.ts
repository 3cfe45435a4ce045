// A workspace's single sign-on policy (issue 19.4), on whichever engine the tests run: what the
// guard lets through (the SSO provider, the domain), who may set it (an admin whose own session
// meets it), its audit entry, its throttle, and that another workspace sees none of it.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditLog, workspaceSsoPolicies } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { isKeelError } from "@/lib/errors";
import { addMember, createTenant } from "@/test/fixtures";
import { startSession } from "../user-sessions";
import {
  assertSessionMayOpenWorkspace,
  getWorkspaceSsoPolicy,
  isSsoRequiredError,
  saveWorkspaceSsoPolicy,
  signInSatisfies,
  ssoPolicySchema,
  ssoRequirementFor,
} from "./workspace-sso-policy";

const oidcEnv = { KEEL_OIDC_ISSUER: "http://127.0.0.1:9/oidc", KEEL_OIDC_CLIENT_ID: "keel", KEEL_OIDC_CLIENT_SECRET: "secret", KEEL_OIDC_NAME: "Acme SSO" };
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(Object.keys(oidcEnv).map((key) => [key, process.env[key]]));
  Object.assign(process.env, oidcEnv);
});
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const oidcSession = (userId: string, email: string) => startSession(userId, { signedInWith: { method: "oidc", email } });

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return null;
}

describe("the sign-in rule", () => {
  it("lets through only the workspace's OIDC provider, at the domain when one is set", () => {
    const policy = { requireSso: true, emailDomain: "acme.test" };
    expect(signInSatisfies({ method: "oidc", email: "ada@acme.test" }, policy)).toBe(true);
    expect(signInSatisfies({ method: "oidc", email: "ada@evil.test" }, policy)).toBe(false);
    expect(signInSatisfies({ method: "oidc", email: "ada@sub.acme.test" }, policy)).toBe(false);
    expect(signInSatisfies({ method: "google", email: "ada@acme.test" }, policy)).toBe(false);
    expect(signInSatisfies({ method: "password", email: null }, policy)).toBe(false);
    expect(signInSatisfies({ method: "password", email: null }, { requireSso: false, emailDomain: null })).toBe(true);
    expect(signInSatisfies(null, null)).toBe(true);
  });

  it("reads the settings form: a checkbox and an optional domain", () => {
    expect(ssoPolicySchema.parse({ requireSso: "on", emailDomain: " @Acme.Test " })).toEqual({ requireSso: true, emailDomain: "acme.test" });
    expect(ssoPolicySchema.parse({})).toEqual({ requireSso: false, emailDomain: null });
    expect(ssoPolicySchema.safeParse({ requireSso: "on", emailDomain: "not a domain" }).success).toBe(false);
  });
});

describe("a workspace that requires single sign-on", () => {
  it("refuses a password session and a session at the wrong domain, and lets an SSO session in", async () => {
    const owner = await createTenant("SSO Works");
    const member = await addMember(owner, "member");
    const adminSession = await oidcSession(owner.userId, "owner@acme.test");
    await saveWorkspaceSsoPolicy({ ...owner, sessionId: adminSession }, { requireSso: true, emailDomain: "acme.test" });

    const passwordSession = await startSession(member.userId);
    const refused = await errorOf(assertSessionMayOpenWorkspace({ tenantId: owner.tenantId, userId: member.userId, sessionId: passwordSession }));
    expect(isSsoRequiredError(refused)).toBe(true);
    expect(isKeelError(refused) && refused.status).toBe(403);
    expect((refused as Error).message).toBe(
      "This workspace requires signing in through Acme SSO with an address at acme.test. Sign in with Acme SSO to open it.",
    );
    expect(await ssoRequirementFor({ tenantId: owner.tenantId, userId: member.userId, sessionId: passwordSession })).toEqual({
      workspaceName: "SSO Works",
      message: (refused as Error).message,
    });

    const elsewhere = await oidcSession(member.userId, "member@other.test");
    expect(isSsoRequiredError(await errorOf(assertSessionMayOpenWorkspace({ tenantId: owner.tenantId, userId: member.userId, sessionId: elsewhere })))).toBe(
      true,
    );

    const good = await oidcSession(member.userId, "member@acme.test");
    await expect(assertSessionMayOpenWorkspace({ tenantId: owner.tenantId, userId: member.userId, sessionId: good })).resolves.toBeUndefined();
    expect(await ssoRequirementFor({ tenantId: owner.tenantId, userId: member.userId, sessionId: good })).toBeNull();

    // The same password session still opens a workspace without the policy.
    const mine = await createTenant("Open Works");
    await expect(
      assertSessionMayOpenWorkspace({ tenantId: mine.tenantId, userId: mine.userId, sessionId: await startSession(mine.userId) }),
    ).resolves.toBeUndefined();
  });

  it("can be turned on only by an admin whose own session meets it, and off again from a password session", async () => {
    const owner = await createTenant("Careful Works");
    const member = await addMember(owner, "member");
    const passwordSession = await startSession(owner.userId);
    const lockout = await errorOf(saveWorkspaceSsoPolicy({ ...owner, sessionId: passwordSession }, { requireSso: true, emailDomain: null }));
    expect((lockout as Error).message).toContain("Sign in through Acme SSO first");
    const wrongDomain = await errorOf(
      saveWorkspaceSsoPolicy({ ...owner, sessionId: await oidcSession(owner.userId, "owner@other.test") }, { requireSso: true, emailDomain: "acme.test" }),
    );
    expect((wrongDomain as Error).message).toContain("with an address at acme.test first");
    const notAdmin = await errorOf(
      saveWorkspaceSsoPolicy({ ...member, sessionId: await oidcSession(member.userId, "m@acme.test") }, { requireSso: true, emailDomain: null }),
    );
    expect((notAdmin as Error).message).toBe("Only owners and admins can change the sign-in policy.");
    expect(await getWorkspaceSsoPolicy(owner.tenantId)).toBeNull();

    await saveWorkspaceSsoPolicy({ ...owner, sessionId: await oidcSession(owner.userId, "owner@acme.test") }, { requireSso: true, emailDomain: null });
    expect(await getWorkspaceSsoPolicy(owner.tenantId)).toEqual({ requireSso: true, emailDomain: null });
    await saveWorkspaceSsoPolicy({ ...owner, sessionId: passwordSession }, { requireSso: false, emailDomain: "ignored.test" });
    expect(await getWorkspaceSsoPolicy(owner.tenantId)).toEqual({ requireSso: false, emailDomain: null });
    const entries = await withTenant(owner.tenantId, (tx) => tx.select().from(auditLog));
    expect(entries.filter((e) => e.action === "sso_policy.changed").map((e) => e.metadata)).toEqual([
      { requireSso: true, emailDomain: null },
      { requireSso: false, emailDomain: null },
    ]);
  });

  it("cannot be required without an OIDC provider, and holds (closed) if the provider goes away", async () => {
    const owner = await createTenant("Provider Works");
    const session = await oidcSession(owner.userId, "owner@acme.test");
    await saveWorkspaceSsoPolicy({ ...owner, sessionId: session }, { requireSso: true, emailDomain: null });
    delete process.env.KEEL_OIDC_ISSUER;
    delete process.env.KEEL_OIDC_CLIENT_ID;
    delete process.env.KEEL_OIDC_CLIENT_SECRET;
    const other = await createTenant("No Provider Works");
    const refused = await errorOf(
      saveWorkspaceSsoPolicy({ ...other, sessionId: await oidcSession(other.userId, "x@acme.test") }, { requireSso: true, emailDomain: null }),
    );
    expect((refused as Error).message).toContain("no OIDC provider configured");
    const closed = await errorOf(
      assertSessionMayOpenWorkspace({ tenantId: owner.tenantId, userId: owner.userId, sessionId: await startSession(owner.userId) }),
    );
    expect((closed as Error).message).toContain("no longer offers its sign-in provider");
  });

  it("is throttled: 20 changes per workspace an hour", async () => {
    const owner = await createTenant("Busy Works");
    const session = await startSession(owner.userId);
    for (let i = 0; i < 20; i++) await saveWorkspaceSsoPolicy({ ...owner, sessionId: session }, { requireSso: false, emailDomain: null });
    const refused = await errorOf(saveWorkspaceSsoPolicy({ ...owner, sessionId: session }, { requireSso: false, emailDomain: null }));
    expect(isKeelError(refused) && refused.code).toBe("rate_limited");
  });

  it("is visible to its own workspace only", async () => {
    const a = await createTenant("Policy A");
    const b = await createTenant("Policy B");
    await saveWorkspaceSsoPolicy({ ...a, sessionId: await oidcSession(a.userId, "a@acme.test") }, { requireSso: true, emailDomain: null });
    expect(await withTenant(a.tenantId, (tx) => tx.select().from(workspaceSsoPolicies))).toHaveLength(1);
    expect(await withTenant(b.tenantId, (tx) => tx.select().from(workspaceSsoPolicies))).toEqual([]);
    await expect(withTenant(b.tenantId, (tx) => tx.insert(workspaceSsoPolicies).values({ tenantId: a.tenantId, requireSso: false }))).rejects.toThrow();
    const changed = await withTenant(b.tenantId, (tx) => tx.update(workspaceSsoPolicies).set({ requireSso: false }).returning());
    expect(changed).toEqual([]);
    expect(await getWorkspaceSsoPolicy(a.tenantId)).toEqual({ requireSso: true, emailDomain: null });
  });
});
