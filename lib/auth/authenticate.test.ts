import { describe, expect, it } from "vitest";
import { authenticate, invalidCredentialsMessage } from "./authenticate";
import { throttlePolicy } from "./sign-in-throttle";
import { createTenant, testPassword, uniqueEmail } from "@/test/fixtures";

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

async function failTimes(email: string, times: number, options: { ip?: string; sleep: (ms: number) => Promise<void> }) {
  for (let i = 0; i < times; i++) {
    await expect(authenticate(email, "wrong password", options)).rejects.toMatchObject({ code: "unauthenticated", message: invalidCredentialsMessage });
  }
}

describe("authenticate", () => {
  it("signs in with the right password and opens the user's tenant", async () => {
    const owner = await createTenant("Sign-in");
    const user = await authenticate(owner.email.toUpperCase(), testPassword, { ip: "10.9.0.1" });
    expect(user).toMatchObject({ id: owner.userId, tenantId: owner.tenantId, role: "owner" });
  });

  it("says the same thing for an unknown email and a wrong password", async () => {
    const owner = await createTenant("Same message");
    const unknown = await authenticate(uniqueEmail("nobody"), testPassword).catch((e: Error) => e.message);
    const wrong = await authenticate(owner.email, "not the password").catch((e: Error) => e.message);
    expect(unknown).toBe(invalidCredentialsMessage);
    expect(wrong).toBe(invalidCredentialsMessage);
  });

  it("slows repeated failures for one email, then refuses even the right password for a while", async () => {
    const owner = await createTenant("Throttle");
    const { waits, sleep } = recorder();
    await failTimes(owner.email, throttlePolicy.email.freeFailures, { sleep });
    expect(waits).toEqual([]);
    await failTimes(owner.email, throttlePolicy.email.lockAfter - throttlePolicy.email.freeFailures, { sleep });
    expect(waits.length).toBeGreaterThan(0);
    expect(waits).toEqual([...waits].sort((x, y) => x - y)); // growing
    await expect(authenticate(owner.email, testPassword, { sleep })).rejects.toMatchObject({
      code: "rate_limited",
      message: expect.stringMatching(/Try again in 15 minutes/),
    });
    // After the lock expires the right password works again and clears the count.
    const later = new Date(Date.now() + throttlePolicy.lockMs + 60_000);
    await expect(authenticate(owner.email, testPassword, { sleep, now: later })).resolves.toMatchObject({ id: owner.userId });
  });

  it("throttles unknown emails exactly like real ones", async () => {
    const { sleep } = recorder();
    const ghost = uniqueEmail("ghost");
    await failTimes(ghost, throttlePolicy.email.lockAfter, { sleep });
    await expect(authenticate(ghost, testPassword, { sleep })).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("refuses an IP that fails across many emails", async () => {
    const owner = await createTenant("IP throttle");
    const { sleep } = recorder();
    const ip = `10.77.${process.pid % 250}.${Math.floor(Math.random() * 250)}`;
    for (let i = 0; i < throttlePolicy.ip.lockAfter; i++) {
      await authenticate(uniqueEmail("spray"), "guess", { ip, sleep }).catch(() => undefined);
    }
    await expect(authenticate(owner.email, testPassword, { ip, sleep })).rejects.toMatchObject({ code: "rate_limited" });
    await expect(authenticate(owner.email, testPassword, { ip: "10.78.0.1", sleep })).resolves.toMatchObject({ id: owner.userId });
  });
});
