// Two factors against the real database (PostgreSQL or PGlite): the encrypted secret, TOTP set-up
// and replay, recovery codes, the second step bound to its challenge and its limits, and what one
// person's factors are to another.
import { Secret, TOTP } from "otpauth";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { twoFactorChallenges, userPasskeys, userRecoveryCodes, userTotp } from "@/db/schema";
import { withSystem, withUser } from "@/db/scope";
import { createTenant, testPassword, uniqueAddress } from "@/test/fixtures";
import { findLiveChallenge, maxChallengeFailures, openSecondStep } from "./challenges";
import { confirmTotpSetup, issueFirstRecoveryCodes, regenerateRecoveryCodes, startTotpSetup, turnOffTotp, twoFactorStatus } from "./factors";
import { parseCredentialResponse, removePasskey, verifyPasskeyAssertion } from "./passkeys";
import { answerSecondStep, expiredStepMessage, finishPasskeySignIn, startPasskeySignIn, wrongCodeMessage } from "./second-step";
import { openSecret, sealSecret } from "./secret-box";

const secret = "test-auth-secret-for-two-factor-0123456789abcdef";
// Each test signs people up (argon2) and runs dozens of counted transactions: on embedded PGlite
// on a busy two-core machine that can take longer than the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

beforeAll(() => {
  process.env.AUTH_SECRET = secret;
  process.env.AUTH_URL = "https://keel.test";
});
afterAll(() => {
  delete process.env.AUTH_SECRET;
  delete process.env.AUTH_URL;
});

const codeAt = (base32: string, at: Date) =>
  new TOTP({ secret: Secret.fromBase32(base32), digits: 6, period: 30, algorithm: "SHA1" }).generate({ timestamp: at.getTime() });
const later = (at: Date, seconds: number) => new Date(at.getTime() + seconds * 1000);

/** A person with the authenticator app on; returns its secret and the recovery codes shown. */
async function withApp(now = new Date()) {
  const owner = await createTenant("Two factors");
  const setup = await startTotpSetup(owner, now);
  const { recoveryCodes } = await confirmTotpSetup(owner, codeAt(setup.secret, now), now);
  return { owner, base32: setup.secret, recoveryCodes: recoveryCodes!, confirmedAt: now };
}

describe("the secret box", () => {
  it("opens only for the same user under the same AUTH_SECRET, and not once altered", () => {
    const sealed = sealSecret("JBSWY3DPEHPK3PXP", "user-a", secret);
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    expect(openSecret(sealed, "user-a", secret)).toBe("JBSWY3DPEHPK3PXP");
    expect(openSecret(sealed, "user-b", secret)).toBeNull();
    expect(openSecret(sealed, "user-a", `${secret}-rotated`)).toBeNull();
    const [v, iv, body] = sealed.split(".") as [string, string, string];
    const flipped = Buffer.from(body, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    expect(openSecret(`${v}.${iv}.${flipped.toString("base64url")}`, "user-a", secret)).toBeNull();
  });

  it("stores the authenticator's secret encrypted, never as the base32 text", async () => {
    const { owner, base32 } = await withApp();
    const [row] = await withUser(owner.userId, (tx) => tx.select().from(userTotp).where(eq(userTotp.userId, owner.userId)));
    expect(row!.secretCiphertext).not.toContain(base32);
    expect(openSecret(row!.secretCiphertext, owner.userId)).toBe(base32);
  });
});

describe("setting up the authenticator app", () => {
  it("is not a second factor until a first code confirms it, then issues ten recovery codes once", async () => {
    const owner = await createTenant("Set-up");
    const now = new Date();
    const setup = await startTotpSetup(owner, now);
    expect(setup.uri).toMatch(/^otpauth:\/\/totp\/Keel:/);
    expect(setup.qrDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
    expect((await twoFactorStatus(owner.userId)).totp).toBe("pending");
    await expect(confirmTotpSetup(owner, "000000", now)).rejects.toMatchObject({ code: "invalid_input", fieldErrors: { code: expect.any(String) } });
    const { recoveryCodes } = await confirmTotpSetup(owner, codeAt(setup.secret, now), now);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(await twoFactorStatus(owner.userId)).toMatchObject({ totp: "on", recoveryCodesLeft: 10 });
    // Only hashes are stored.
    const stored = await withUser(owner.userId, (tx) => tx.select().from(userRecoveryCodes).where(eq(userRecoveryCodes.userId, owner.userId)));
    expect(stored.map((r) => r.codeHash)).not.toContain(recoveryCodes![0]);
    await expect(startTotpSetup(owner, now)).rejects.toMatchObject({ code: "conflict" });
  });
});

describe("the second step", () => {
  it("accepts a code one step either side of now, but not two", async () => {
    const { owner, base32, confirmedAt } = await withApp();
    const at = later(confirmedAt, 120);
    for (const [offset, ok] of [
      [-60, false],
      [60, false],
      [-30, true],
    ] as const) {
      const { token } = await openSecondStep(owner.userId, at);
      const answer = answerSecondStep({ token, code: codeAt(base32, later(at, offset)), address: uniqueAddress() }, at);
      if (ok) await expect(answer).resolves.toBe(owner.userId);
      else await expect(answer).rejects.toMatchObject({ message: wrongCodeMessage });
    }
    const { token } = await openSecondStep(owner.userId, at);
    await expect(answerSecondStep({ token, code: codeAt(base32, later(at, 30)), address: uniqueAddress() }, at)).resolves.toBe(owner.userId);
  });

  it("refuses a code used once already (replay), and any older one after it", async () => {
    const { owner, base32, confirmedAt } = await withApp();
    const at = later(confirmedAt, 90);
    const code = codeAt(base32, at);
    const first = await openSecondStep(owner.userId, at);
    await expect(answerSecondStep({ token: first.token, code, address: uniqueAddress() }, at)).resolves.toBe(owner.userId);
    const second = await openSecondStep(owner.userId, at);
    await expect(answerSecondStep({ token: second.token, code, address: uniqueAddress() }, later(at, 5))).rejects.toMatchObject({ message: wrongCodeMessage });
    await expect(answerSecondStep({ token: second.token, code: codeAt(base32, later(at, -30)), address: uniqueAddress() }, later(at, 5))).rejects.toMatchObject(
      {
        message: wrongCodeMessage,
      },
    );
  });

  it("takes each recovery code once, typed any way, and spends the challenge with it", async () => {
    const { owner, recoveryCodes } = await withApp();
    const { token } = await openSecondStep(owner.userId);
    const typed = recoveryCodes[3]!.toUpperCase().replace("-", " ");
    await expect(answerSecondStep({ token, code: typed, address: uniqueAddress() })).resolves.toBe(owner.userId);
    // The challenge is spent: the same cookie gets nothing more.
    await expect(answerSecondStep({ token, code: recoveryCodes[4]!, address: uniqueAddress() })).rejects.toMatchObject({
      code: "gone",
      message: expiredStepMessage,
    });
    const again = await openSecondStep(owner.userId);
    await expect(answerSecondStep({ token: again.token, code: recoveryCodes[3]!, address: uniqueAddress() })).rejects.toMatchObject({
      message: wrongCodeMessage,
    });
    expect((await twoFactorStatus(owner.userId)).recoveryCodesLeft).toBe(9);
  });

  it("needs the challenge the password earned: no cookie, a forged one or an expired one get nothing", async () => {
    const { owner, base32 } = await withApp();
    const now = new Date();
    await expect(answerSecondStep({ token: null, code: codeAt(base32, now), address: uniqueAddress() })).rejects.toMatchObject({ code: "gone" });
    await expect(answerSecondStep({ token: "forged-token", code: codeAt(base32, now), address: uniqueAddress() })).rejects.toMatchObject({ code: "gone" });
    const { token } = await openSecondStep(owner.userId, now);
    const afterExpiry = later(now, 6 * 60);
    await expect(answerSecondStep({ token, code: codeAt(base32, afterExpiry), address: uniqueAddress() }, afterExpiry)).rejects.toMatchObject({ code: "gone" });
  });

  it("ends the challenge after five wrong answers", async () => {
    const { owner, base32 } = await withApp();
    const { token } = await openSecondStep(owner.userId);
    for (let i = 0; i < maxChallengeFailures; i++) {
      await expect(answerSecondStep({ token, code: "abcde-fghjk", address: uniqueAddress() })).rejects.toMatchObject({ message: wrongCodeMessage });
    }
    expect(await findLiveChallenge(token, "sign_in")).toBeNull();
    await expect(answerSecondStep({ token, code: codeAt(base32, later(new Date(), 30)), address: uniqueAddress() })).rejects.toMatchObject({ code: "gone" });
  });

  it("caps wrong codes per account across addresses and challenges: the right code waits too", async () => {
    const { owner, base32 } = await withApp();
    for (let i = 0; i < 10; i++) {
      const { token } = await openSecondStep(owner.userId);
      await expect(answerSecondStep({ token, code: "123456", address: uniqueAddress() })).rejects.toMatchObject({ code: "unauthenticated" });
    }
    const { token } = await openSecondStep(owner.userId);
    await expect(answerSecondStep({ token, code: codeAt(base32, later(new Date(), 30)), address: uniqueAddress() })).rejects.toMatchObject({
      code: "rate_limited",
    });
  });
});

describe("turning the app off and new recovery codes", () => {
  it("needs the password or a current code, and takes the recovery codes with the last factor", async () => {
    const { owner, base32, recoveryCodes, confirmedAt } = await withApp();
    await expect(turnOffTotp(owner, "not my password")).rejects.toMatchObject({ code: "invalid_input", fieldErrors: { proof: expect.any(String) } });
    // A recovery code is for signing in, not for turning the app off.
    await expect(regenerateRecoveryCodes(owner, recoveryCodes[0]!)).rejects.toMatchObject({ code: "invalid_input" });
    const fresh = await regenerateRecoveryCodes(owner, codeAt(base32, later(confirmedAt, 30)), later(confirmedAt, 30));
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[0]);
    await turnOffTotp(owner, testPassword);
    expect(await twoFactorStatus(owner.userId)).toMatchObject({ totp: "off", passkeys: [], recoveryCodesLeft: 0 });
  });
});

describe("one person's factors, to everyone else", () => {
  it("are invisible and untouchable under another user's scope", async () => {
    const { owner } = await withApp();
    const other = await createTenant("Someone else");
    await withUser(other.userId, async (tx) => {
      expect(await tx.select().from(userTotp).where(eq(userTotp.userId, owner.userId))).toEqual([]);
      expect(await tx.select().from(userRecoveryCodes).where(eq(userRecoveryCodes.userId, owner.userId))).toEqual([]);
      expect(await tx.select().from(twoFactorChallenges).where(eq(twoFactorChallenges.userId, owner.userId))).toEqual([]);
      const wiped = await tx.delete(userTotp).where(eq(userTotp.userId, owner.userId)).returning();
      expect(wiped).toEqual([]);
      await expect(
        tx.transaction((sp) =>
          sp.insert(userPasskeys).values({ userId: owner.userId, name: "planted", credentialId: `planted-${owner.userId}`, publicKey: "x" }),
        ),
      ).rejects.toThrow();
    });
    expect((await twoFactorStatus(owner.userId)).totp).toBe("on");
  });
});

describe("passkey answers", () => {
  it("refuses what is not a credential, and a credential nobody registered", async () => {
    expect(parseCredentialResponse("not json")).toBeNull();
    expect(parseCredentialResponse(JSON.stringify({ id: "x" }))).toBeNull();
    const forged = JSON.stringify({
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key",
      response: { clientDataJSON: "e30", authenticatorData: "AA", signature: "AA" },
    });
    expect(await verifyPasskeyAssertion(forged, "challenge", null)).toBeNull();
    const stored = await withSystem("test: no passkey was stored", (tx) => tx.select().from(userPasskeys).where(eq(userPasskeys.credentialId, "AAAA")));
    expect(stored).toEqual([]);
  });
});

describe("passwordless passkey sign-in", () => {
  it("bounds the ceremonies one address may start, and needs the challenge the ceremony began with", async () => {
    const address = uniqueAddress();
    const started = await startPasskeySignIn(address);
    expect(started.options.userVerification).toBe("required");
    expect(started.options.allowCredentials ?? []).toEqual([]);
    expect(await findLiveChallenge(started.token, "passkey_sign_in")).toMatchObject({ userId: null, webauthnChallenge: started.options.challenge });
    // A passkey ceremony's secret is not a second step's, nor the other way round.
    expect(await findLiveChallenge(started.token, "sign_in")).toBeNull();
    await expect(finishPasskeySignIn({ token: "forged", passkey: "{}", address })).rejects.toMatchObject({ code: "gone" });
    await expect(finishPasskeySignIn({ token: started.token, passkey: "{}", address })).rejects.toMatchObject({ code: "unauthenticated" });

    for (let i = 1; i < 30; i++) await startPasskeySignIn(address);
    await expect(startPasskeySignIn(address)).rejects.toMatchObject({ code: "rate_limited" });
    // Another address is not held by it.
    await expect(startPasskeySignIn(uniqueAddress())).resolves.toMatchObject({ token: expect.any(String) });
  });
});

describe("removing passkeys", () => {
  it("needs the password to remove the last second factor, and then the recovery codes go too", async () => {
    const owner = await createTenant("Passkey owner");
    const [passkey] = await withUser(owner.userId, (tx) =>
      tx
        .insert(userPasskeys)
        .values({ userId: owner.userId, name: "Only key", credentialId: `only-${owner.userId}`, publicKey: "AQID" })
        .returning({ id: userPasskeys.id }),
    );
    await withUser(owner.userId, (tx) => issueFirstRecoveryCodes(tx, owner.userId, false));
    await expect(removePasskey(owner, passkey!.id)).rejects.toMatchObject({ code: "invalid_input", fieldErrors: { proof: expect.any(String) } });
    await expect(removePasskey(owner, passkey!.id, "not my password")).rejects.toMatchObject({ code: "invalid_input" });
    expect(await twoFactorStatus(owner.userId)).toMatchObject({ passkeys: [{ id: passkey!.id }], recoveryCodesLeft: 10 });
    await removePasskey(owner, passkey!.id, testPassword);
    expect(await twoFactorStatus(owner.userId)).toMatchObject({ passkeys: [], recoveryCodesLeft: 0 });
    // Someone else's passkey is not found, whatever its id.
    const { owner: other } = await withApp();
    await expect(removePasskey(other, passkey!.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("removes one of several factors with the session alone", async () => {
    const { owner } = await withApp();
    const [passkey] = await withUser(owner.userId, (tx) =>
      tx
        .insert(userPasskeys)
        .values({ userId: owner.userId, name: "Spare", credentialId: `spare-${owner.userId}`, publicKey: "AQID" })
        .returning({ id: userPasskeys.id }),
    );
    await removePasskey(owner, passkey!.id);
    expect(await twoFactorStatus(owner.userId)).toMatchObject({ totp: "on", passkeys: [], recoveryCodesLeft: 10 });
  });
});
