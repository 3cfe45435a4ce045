import { describe, expect, it } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { signUp, signUpInvitee, signUpPolicy } from "./sign-up";
import { createTenant, testPassword, uniqueAddress, uniqueEmail } from "@/test/fixtures";

/** The real hasher, counting its calls: the expensive step must come after the cheap checks. */
function countingHasher() {
  const counter = { calls: 0, hash: (password: string) => (counter.calls++, hashPassword(password)) };
  return counter;
}

const form = (email = uniqueEmail("new")) => ({ name: "New Person", email, password: testPassword, workspaceName: "New Space" });

describe("sign-up", () => {
  it("allows a limited number of sign-ups per address, refuses the next before hashing, and leaves other addresses alone", async () => {
    const taken = (await createTenant("Taken")).email;
    const hasher = countingHasher();
    // Two IPv6 addresses in one /64 are one client.
    const clientAddress = uniqueAddress();
    const sameNetwork = clientAddress.replace(/::1$/, "::2");
    const results: string[] = [];
    for (let i = 0; i < signUpPolicy.maxAttempts; i++) {
      // Asking about a taken email spends the allowance too: that is what bounds enumeration.
      const input = i % 3 === 0 ? form(taken) : form();
      const address = i % 2 === 0 ? clientAddress : sameNetwork;
      results.push(
        await signUp(input, { clientAddress: address, hashPassword: hasher.hash }).then(
          () => "created",
          (e: { code: string }) => e.code,
        ),
      );
    }
    expect(results.filter((r) => r === "created")).toHaveLength(signUpPolicy.maxAttempts - Math.ceil(signUpPolicy.maxAttempts / 3));
    expect(results.filter((r) => r === "conflict")).toHaveLength(Math.ceil(signUpPolicy.maxAttempts / 3));
    const hashed = hasher.calls;
    expect(hashed).toBe(signUpPolicy.maxAttempts - Math.ceil(signUpPolicy.maxAttempts / 3));

    await expect(signUp(form(), { clientAddress, hashPassword: hasher.hash })).rejects.toMatchObject({
      code: "rate_limited",
      message: expect.stringMatching(/Too many sign-ups from your network\. Try again in 60 minutes\./),
    });
    await expect(signUpInvitee(form(), { clientAddress: sameNetwork, hashPassword: hasher.hash })).rejects.toMatchObject({ code: "rate_limited" });
    expect(hasher.calls).toBe(hashed);

    await expect(signUp(form(), { clientAddress: uniqueAddress(), hashPassword: hasher.hash })).resolves.toMatchObject({ userId: expect.any(String) });
    // An hour later the address may sign up again.
    const later = new Date(Date.now() + signUpPolicy.lockMs + 60_000);
    await expect(signUp(form(), { clientAddress, now: later })).resolves.toMatchObject({ userId: expect.any(String) });
  });

  it("says that an email is taken, on the email field, without hashing the password", async () => {
    const taken = (await createTenant("Taken again")).email;
    const hasher = countingHasher();
    await expect(signUp(form(taken), { clientAddress: uniqueAddress(), hashPassword: hasher.hash })).rejects.toMatchObject({
      code: "conflict",
      fieldErrors: { email: expect.stringMatching(/already exists/) },
    });
    expect(hasher.calls).toBe(0);
  });
});
