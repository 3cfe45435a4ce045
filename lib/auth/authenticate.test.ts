import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { peerAddressHeader } from "@/lib/http/peer-address";
import { authenticate, invalidCredentialsMessage, type AuthenticateOptions } from "./authenticate";
import { clientIp } from "./client-ip";
import { signInPolicy } from "./sign-in-throttle";
import { createTenant, testPassword, uniqueAddress as freshAddress, uniqueEmail } from "@/test/fixtures";

const secret = "test-secret-for-known-device-tokens-0123456789";

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** What a handler sees behind Keel's server: the stamped peer, plus whatever the client sent. */
function requestHeaders(peer: string, forwardedFor?: string): Headers {
  const headers = new Headers({ [peerAddressHeader]: peer });
  if (forwardedFor !== undefined) headers.set("x-forwarded-for", forwardedFor);
  return headers;
}

async function failTimes(email: string, times: number, options: AuthenticateOptions) {
  for (let i = 0; i < times; i++) {
    await expect(authenticate(email, "wrong password", options)).rejects.toMatchObject({ code: "unauthenticated", message: invalidCredentialsMessage });
  }
}

/** The outcome of each attempt: "ok", or the error code. */
async function outcomes(attempts: Array<Promise<unknown>>): Promise<string[]> {
  const settled = await Promise.allSettled(attempts);
  return settled.map((s) => (s.status === "fulfilled" ? "ok" : String((s.reason as { code?: string }).code ?? (s.reason as Error).message)));
}

const count = (list: string[], value: string) => list.filter((x) => x === value).length;

describe("authenticate", () => {
  it("signs in with the right password and opens the user's tenant", async () => {
    const owner = await createTenant("Sign-in");
    const user = await authenticate(owner.email.toUpperCase(), testPassword, { ip: freshAddress() });
    expect(user).toMatchObject({ id: owner.userId, tenantId: owner.tenantId, role: "owner" });
  });

  it("says the same thing for an unknown email and a wrong password", async () => {
    const owner = await createTenant("Same message");
    const unknown = await authenticate(uniqueEmail("nobody"), testPassword).catch((e: Error) => e.message);
    const wrong = await authenticate(owner.email, "not the password").catch((e: Error) => e.message);
    expect(unknown).toBe(invalidCredentialsMessage);
    expect(wrong).toBe(invalidCredentialsMessage);
  });

  it("slows repeated failures from one address, then locks that address out of the account for a while", async () => {
    const owner = await createTenant("Throttle");
    const { waits, sleep } = recorder();
    const ip = freshAddress();
    const rule = signInPolicy.emailFromAddress;
    await failTimes(owner.email, rule.freeAttempts, { ip, sleep });
    expect(waits).toEqual([]);
    await failTimes(owner.email, rule.maxAttempts - rule.freeAttempts, { ip, sleep });
    expect(waits.length).toBe(rule.maxAttempts - rule.freeAttempts);
    expect(waits).toEqual([...waits].sort((x, y) => x - y)); // growing
    await expect(authenticate(owner.email, testPassword, { ip, sleep })).rejects.toMatchObject({
      code: "rate_limited",
      message: expect.stringMatching(/Try again in 15 minutes/),
    });
    // After the lock expires the right password works again and clears the count.
    const later = new Date(Date.now() + rule.lockMs + 60_000);
    await expect(authenticate(owner.email, testPassword, { ip, sleep, now: later })).resolves.toMatchObject({ id: owner.userId });
    await failTimes(owner.email, rule.maxAttempts, { ip, sleep, now: later });
  });

  it("throttles unknown emails exactly like real ones", async () => {
    const { sleep } = recorder();
    const ghost = uniqueEmail("ghost");
    const ip = freshAddress();
    await failTimes(ghost, signInPolicy.emailFromAddress.maxAttempts, { ip, sleep });
    await expect(authenticate(ghost, testPassword, { ip, sleep })).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("refuses an address that fails across many emails, and only that address", async () => {
    const owner = await createTenant("IP throttle");
    const { sleep } = recorder();
    const ip = freshAddress();
    for (let i = 0; i < signInPolicy.address.maxAttempts; i++) {
      await authenticate(uniqueEmail("spray"), "guess", { ip, sleep }).catch(() => undefined);
    }
    await expect(authenticate(owner.email, testPassword, { ip, sleep })).rejects.toMatchObject({ code: "rate_limited" });
    await expect(authenticate(owner.email, testPassword, { ip: freshAddress(), sleep })).resolves.toMatchObject({ id: owner.userId });
  });

  it("counts wrong passwords sent with a 3 KB random X-Forwarded-For, which cannot reset the account's count", async () => {
    const owner = await createTenant("Long header");
    const { sleep } = recorder();
    const peer = freshAddress();
    const junk = () => randomBytes(1536).toString("hex"); // 3 KB, new each time
    for (let i = 0; i < 12; i++) {
      const ip = clientIp(requestHeaders(peer, junk()), { peerAddressTrusted: true, trustedHops: i % 2 });
      const outcome = await authenticate(owner.email, "wrong password", { ip, sleep }).catch((e: { code?: string }) => e.code);
      expect(outcome).toBe(i < signInPolicy.emailFromAddress.maxAttempts ? "unauthenticated" : "rate_limited");
    }
    const ip = clientIp(requestHeaders(peer, junk()), { peerAddressTrusted: true });
    await expect(authenticate(owner.email, testPassword, { ip, sleep })).rejects.toMatchObject({ code: "rate_limited" });
    // Even handed straight to authenticate(), an over-long "address" is counted, not a database error.
    await expect(authenticate(uniqueEmail("long"), "wrong password", { ip: junk(), sleep })).rejects.toMatchObject({ code: "unauthenticated" });
  });

  it("treats 12 rotating X-Forwarded-For values from one socket as one address", async () => {
    const owner = await createTenant("Rotating header");
    const { sleep } = recorder();
    const peer = freshAddress();
    const rotating = (i: number) => clientIp(requestHeaders(peer, `198.51.100.${i % 12}`), { peerAddressTrusted: true });
    for (let i = 0; i < signInPolicy.address.maxAttempts; i++) {
      await authenticate(uniqueEmail("rotate"), "guess", { ip: rotating(i), sleep }).catch(() => undefined);
    }
    await expect(authenticate(owner.email, testPassword, { ip: rotating(12), sleep })).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("judges a parallel burst of 20 attempt by attempt", async () => {
    const owner = await createTenant("Burst");
    const { sleep } = recorder();
    const ip = freshAddress();
    const results = await outcomes(Array.from({ length: 20 }, () => authenticate(owner.email, "wrong password", { ip, sleep })));
    expect(count(results, "unauthenticated")).toBe(signInPolicy.emailFromAddress.maxAttempts);
    expect(count(results, "rate_limited")).toBe(20 - signInPolicy.emailFromAddress.maxAttempts);
  });

  it("lets the right password in from another address after a lockout caused from one", async () => {
    const owner = await createTenant("Lockout elsewhere");
    const { sleep } = recorder();
    const attacker = freshAddress();
    await failTimes(owner.email, signInPolicy.emailFromAddress.maxAttempts, { ip: attacker, sleep });
    await expect(authenticate(owner.email, testPassword, { ip: attacker, sleep })).rejects.toMatchObject({ code: "rate_limited" });
    await expect(authenticate(owner.email, testPassword, { ip: freshAddress(), sleep })).resolves.toMatchObject({ id: owner.userId });
  });

  it("caps guessing at one account from any number of addresses, and a browser that signed in before still gets in", async () => {
    const owner = await createTenant("Distributed guessing");
    const { sleep } = recorder();
    const { knownDeviceToken } = await authenticate(owner.email, testPassword, { ip: freshAddress(), secret, sleep });
    expect(knownDeviceToken).toEqual(expect.any(String));

    // 12 addresses (behind a trusted proxy, each genuinely different) guess twice each.
    const guessers = Array.from({ length: 12 }, () => freshAddress());
    const results: string[] = [];
    for (const ip of guessers) {
      for (let i = 0; i < 2; i++) results.push(...(await outcomes([authenticate(owner.email, "wrong password", { ip, secret, sleep })])));
    }
    expect(count(results, "unauthenticated")).toBe(signInPolicy.email.maxAttempts);
    expect(count(results, "rate_limited")).toBe(24 - signInPolicy.email.maxAttempts);

    // A new address without the token waits like the guessers do...
    await expect(authenticate(owner.email, testPassword, { ip: freshAddress(), secret, sleep })).rejects.toMatchObject({ code: "rate_limited" });
    // ...a forged or foreign token is no better...
    const foreign = await authenticate((await createTenant("Other")).email, testPassword, { ip: freshAddress(), secret, sleep });
    await expect(
      authenticate(owner.email, testPassword, { ip: freshAddress(), secret, sleep, knownDeviceToken: foreign.knownDeviceToken }),
    ).rejects.toMatchObject({ code: "rate_limited" });
    // ...but the owner's own browser signs in, from any address, and the success forgives the account's count.
    await expect(authenticate(owner.email, testPassword, { ip: guessers[0], secret, sleep, knownDeviceToken })).resolves.toMatchObject({
      id: owner.userId,
    });
    await failTimes(owner.email, 1, { ip: freshAddress(), secret, sleep });
  });

  it("locks a known-device token after its own failures without touching the account's count", async () => {
    const owner = await createTenant("Device lock");
    const { sleep } = recorder();
    const { knownDeviceToken } = await authenticate(owner.email, testPassword, { ip: freshAddress(), secret, sleep });
    const ip = freshAddress();
    await failTimes(owner.email, signInPolicy.knownDevice.maxAttempts, { ip, secret, sleep, knownDeviceToken });
    await expect(authenticate(owner.email, testPassword, { ip, secret, sleep, knownDeviceToken })).rejects.toMatchObject({ code: "rate_limited" });
    // The same address without the token is judged as any other client, with the account's full allowance.
    await expect(authenticate(owner.email, testPassword, { ip, secret, sleep })).resolves.toMatchObject({ id: owner.userId });
  });

  it("forgives the account's count after a success, but not the address's failures", async () => {
    const owner = await createTenant("Forgive");
    const { sleep } = recorder();
    const ip = freshAddress();
    await failTimes(owner.email, signInPolicy.emailFromAddress.maxAttempts - 1, { ip, sleep });
    await expect(authenticate(owner.email, testPassword, { ip, sleep })).resolves.toMatchObject({ id: owner.userId });
    await failTimes(owner.email, signInPolicy.emailFromAddress.maxAttempts, { ip, sleep });
    await expect(authenticate(owner.email, "wrong password", { ip, sleep })).rejects.toMatchObject({ code: "rate_limited" });
    // The address counted every attempt but the success: 7 + 8 failures and the refused one.
    const left = signInPolicy.address.maxAttempts - 2 * signInPolicy.emailFromAddress.maxAttempts;
    for (let i = 0; i < left; i++) await authenticate(uniqueEmail("more"), "guess", { ip, sleep }).catch(() => undefined);
    await expect(authenticate(uniqueEmail("last"), "guess", { ip, sleep })).rejects.toMatchObject({ code: "rate_limited" });
  });
});
