// The linking rules of single sign-on (issue 19.4), on whichever engine the tests run: an identity
// links to an existing account only when the provider vouches for the address and the account
// confirmed it; later sign-ins find the user by the provider's subject, not by email; new people
// get a confirmed account without a workspace; every sign-in opens a session that says how; the
// callback is throttled per address; and nobody else sees a person's linked identities.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ssoIdentities, userSessions, users } from "@/db/schema";
import { withSystem, withUser } from "@/db/scope";
import { createTenant, uniqueAddress, uniqueEmail } from "@/test/fixtures";
import { authenticate } from "../authenticate";
import { providerIdentity, type ProviderIdentity } from "./provider-identity";
import { signInWithProvider, ssoRefusalOf } from "./sso-sign-in";

let subjects = 0;
function identity(email: string | null, emailVerified = true, provider: ProviderIdentity["provider"] = "oidc"): ProviderIdentity {
  return { provider, providerAccountId: `sub-${process.pid}-${Date.now()}-${++subjects}`, email, emailVerified, name: "Grace Hopper" };
}

const confirmEmail = (userId: string) =>
  withSystem("test: confirm an address", (tx) => tx.update(users).set({ emailVerified: new Date() }).where(eq(users.id, userId)));
const sessionRow = async (id: string) => (await withSystem("test: read a session", (tx) => tx.select().from(userSessions).where(eq(userSessions.id, id))))[0];
const noDelay = { sleep: async () => {} };

async function refusalOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    return ssoRefusalOf(error) ?? `unexpected: ${String(error)}`;
  }
}

describe("signing in through a provider", () => {
  it("creates a confirmed account with no workspace for a new person, and opens an SSO session", async () => {
    const email = uniqueEmail("newcomer");
    const signedIn = await signInWithProvider(identity(email), { ip: uniqueAddress(), userAgent: "test", ...noDelay });
    expect(signedIn).toMatchObject({ email, name: "Grace Hopper", tenantId: null, role: null, outcome: "created" });
    const [user] = await withSystem("test: read the user", (tx) => tx.select().from(users).where(eq(users.id, signedIn.userId)));
    expect(user!.emailVerified).toBeInstanceOf(Date);
    // No password anyone knows: signing in with a guess fails like any wrong password.
    await expect(authenticate(email, "", { ip: uniqueAddress(), secret: null, ...noDelay })).rejects.toThrow("Email or password is incorrect.");
    expect(await sessionRow(signedIn.sessionId)).toMatchObject({ userId: signedIn.userId, signInMethod: "oidc", signInEmail: email, userAgent: "test" });
  });

  it("links to an existing account whose address is confirmed, when the provider vouches for it", async () => {
    const owner = await createTenant("Linked Works");
    await confirmEmail(owner.userId);
    const signedIn = await signInWithProvider(identity(owner.email), { ip: uniqueAddress(), ...noDelay });
    expect(signedIn).toMatchObject({ userId: owner.userId, tenantId: owner.tenantId, role: "owner", outcome: "linked" });
  });

  it("finds the user by the provider's subject afterwards, even when the provider now reports another address", async () => {
    const owner = await createTenant("Subject Works");
    await confirmEmail(owner.userId);
    const first = identity(owner.email);
    await signInWithProvider(first, { ip: uniqueAddress(), ...noDelay });
    // The address changed at the provider (and is not even verified there): the subject decides.
    const again = await signInWithProvider({ ...first, email: uniqueEmail("renamed"), emailVerified: false }, { ip: uniqueAddress(), ...noDelay });
    expect(again).toMatchObject({ userId: owner.userId, outcome: "signed_in" });
  });

  it("refuses to link an account whose address was never confirmed, and links nothing", async () => {
    const owner = await createTenant("Unconfirmed Works");
    const attempt = identity(owner.email);
    expect(await refusalOf(signInWithProvider(attempt, { ip: uniqueAddress(), ...noDelay }))).toBe("account_email_unverified");
    const linked = await withSystem("test: linked identities", (tx) =>
      tx.select().from(ssoIdentities).where(eq(ssoIdentities.providerAccountId, attempt.providerAccountId)),
    );
    expect(linked).toEqual([]);
  });

  it("refuses an address the provider does not vouch for, for an existing account and for a new one", async () => {
    const owner = await createTenant("Claimed Works");
    await confirmEmail(owner.userId);
    expect(await refusalOf(signInWithProvider(identity(owner.email, false), { ip: uniqueAddress(), ...noDelay }))).toBe("provider_email_unverified");
    const stranger = uniqueEmail("stranger");
    expect(await refusalOf(signInWithProvider(identity(stranger, false), { ip: uniqueAddress(), ...noDelay }))).toBe("provider_email_unverified");
    const created = await withSystem("test: no account", (tx) => tx.select().from(users).where(eq(users.email, stranger)));
    expect(created).toEqual([]);
  });

  it("refuses a provider that shares no address", async () => {
    expect(await refusalOf(signInWithProvider(identity(null), { ip: uniqueAddress(), ...noDelay }))).toBe("no_email");
  });

  it("throttles the callback per address like sign-in: delays after 10, refusal after 40", async () => {
    const ip = uniqueAddress();
    const delays: number[] = [];
    const sleep = async (ms: number) => void delays.push(ms);
    for (let i = 0; i < 40; i++) await signInWithProvider(identity(null), { ip, sleep }).catch(() => {});
    expect(delays[0]).toBe(500);
    expect(Math.max(...delays)).toBe(4_000);
    expect(await refusalOf(signInWithProvider(identity(uniqueEmail("late")), { ip, sleep }))).toBe("rate_limited");
  });

  it("shows a person their own linked identities and nobody else's", async () => {
    const owner = await createTenant("Private Works");
    await confirmEmail(owner.userId);
    const other = await createTenant("Other Works");
    await signInWithProvider(identity(owner.email), { ip: uniqueAddress(), ...noDelay });
    expect(await withUser(owner.userId, (tx) => tx.select().from(ssoIdentities))).toHaveLength(1);
    expect(await withUser(other.userId, (tx) => tx.select().from(ssoIdentities))).toEqual([]);
    // Nor can anyone link an identity to someone else's account from their own context.
    await expect(
      withUser(other.userId, (tx) => tx.insert(ssoIdentities).values({ userId: owner.userId, provider: "oidc", providerAccountId: "forged" })),
    ).rejects.toThrow();
  });
});

describe("what a provider asserts", () => {
  it("trusts only an explicit email_verified (or Entra ID's xms_edov), and lower-cases the address", () => {
    expect(providerIdentity("oidc", "s1", { email: "Ada@Example.test", email_verified: true })).toMatchObject({
      email: "ada@example.test",
      emailVerified: true,
    });
    expect(providerIdentity("google", "s2", { email: "ada@example.test", email_verified: "true" })?.emailVerified).toBe(true);
    expect(providerIdentity("oidc", "s3", { email: "ada@example.test" })?.emailVerified).toBe(false);
    expect(providerIdentity("microsoft-entra-id", "s4", { email: "ada@example.test" })?.emailVerified).toBe(false);
    expect(providerIdentity("microsoft-entra-id", "s5", { email: "ada@example.test", xms_edov: true })?.emailVerified).toBe(true);
    expect(providerIdentity("oidc", "s6", { email: "not an address", email_verified: true })).toMatchObject({ email: null, emailVerified: false });
    expect(providerIdentity("credentials", "s7", {})).toBeNull();
  });
});
