// Passkeys (WebAuthn through @simplewebauthn/server): registered by a signed-in person (several,
// named, removable), then used as the second step after a password or, being discoverable, to sign
// in with nothing typed. Every ceremony signs a challenge Keel made for it and stored server-side
// (lib/auth/two-factor/challenges.ts), so a response cannot be replayed; the signature counter
// must grow (an authenticator that reports a lower one is a clone, and is refused).
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { and, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { twoFactorChallenges, userPasskeys, type UserPasskey } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem, withUser } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { log } from "@/core/log";
import { deleteRecoveryCodes } from "./recovery-codes";
import { hasSecondFactor, issueFirstRecoveryCodes, proveOwner } from "./factors";
import { openChallenge, spendChallenge } from "./challenges";
import { relyingParty } from "./relying-party";
import { admitTwoFactorAttempt } from "./throttle";

/** The browser's answer, checked for shape at the boundary; the library checks the rest. */
const credentialResponseSchema = z.object({
  id: z.string().min(1).max(1024),
  rawId: z.string().min(1).max(1024),
  type: z.literal("public-key"),
  response: z.record(z.string(), z.unknown()),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().optional(),
});

/** Parses the JSON a passkey ceremony posted; null when it is not a credential at all. */
export function parseCredentialResponse(json: string): z.infer<typeof credentialResponseSchema> | null {
  if (json.length > 64_000) return null;
  try {
    const parsed = credentialResponseSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const transportsOf = (row: Pick<UserPasskey, "transports">) => (row.transports ? row.transports.split(",") : undefined);

interface PasskeyOwner {
  userId: string;
  email: string;
  name: string;
}

/** Starts registering a passkey: options for the browser and the id of the challenge they carry. */
export async function startPasskeyRegistration(
  owner: PasskeyOwner,
  now = new Date(),
): Promise<{ challengeId: string; options: PublicKeyCredentialCreationOptionsJSON }> {
  await admitTwoFactorAttempt([["setupForUser", owner.userId]], "two-factor attempts", { now });
  const rp = await relyingParty();
  return withUser(owner.userId, async (tx) => {
    const existing = await tx.select().from(userPasskeys).where(eq(userPasskeys.userId, owner.userId));
    const options = await generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: owner.email,
      userDisplayName: owner.name,
      userID: new TextEncoder().encode(owner.userId),
      attestationType: "none",
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
      // Discoverable, so the same passkey can sign in without an email typed first.
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
    });
    const { id } = await openChallenge(tx, "passkey_register", owner.userId, { webauthnChallenge: options.challenge, now });
    return { challengeId: id, options };
  });
}

/** Checks the browser's new credential against the challenge and stores it; returns recovery codes when they are new. */
export async function finishPasskeyRegistration(
  owner: PasskeyOwner,
  input: { challengeId: string; name: string; response: string },
  now = new Date(),
): Promise<{ recoveryCodes: string[] | null }> {
  const response = parseCredentialResponse(input.response);
  if (!response) throw new KeelError("invalid_input", "Your browser did not return a passkey. Try again.");
  const rp = await relyingParty();
  return withUser(owner.userId, async (tx) => {
    const [challenge] = await tx
      .select()
      .from(twoFactorChallenges)
      .where(
        and(
          eq(twoFactorChallenges.id, input.challengeId),
          eq(twoFactorChallenges.userId, owner.userId),
          eq(twoFactorChallenges.purpose, "passkey_register"),
          isNull(twoFactorChallenges.usedAt),
          gt(twoFactorChallenges.expiresAt, now),
        ),
      );
    if (!challenge?.webauthnChallenge || !(await spendChallenge(tx, challenge.id, now))) {
      throw new KeelError("invalid_input", "That passkey request expired. Start again.");
    }
    const verification = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge.webauthnChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: false,
    }).catch((error: unknown) => {
      log.info({ err: error }, "passkey registration refused");
      return null;
    });
    if (!verification?.verified || !verification.registrationInfo) throw new KeelError("invalid_input", "The passkey could not be verified. Try again.");
    const { credential } = verification.registrationInfo;
    const hadFactor = await hasSecondFactor(tx, owner.userId);
    await tx.insert(userPasskeys).values({
      userId: owner.userId,
      name: input.name,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString("base64url"),
      counter: credential.counter,
      transports: (credential.transports ?? []).join(","),
    });
    return { recoveryCodes: await issueFirstRecoveryCodes(tx, owner.userId, hadFactor) };
  });
}

/**
 * Removes one of the person's passkeys. Removing the last second factor turns two-factor sign-in
 * off, so like turning the app off it needs the password (a session left open is not enough);
 * the recovery codes then go too.
 */
export async function removePasskey(owner: { userId: string }, passkeyId: string, proof?: string, now = new Date()): Promise<void> {
  await admitTwoFactorAttempt([["setupForUser", owner.userId]], "two-factor attempts", { now });
  await withUser(owner.userId, async (tx) => {
    const removed = await tx
      .delete(userPasskeys)
      .where(and(eq(userPasskeys.id, passkeyId), eq(userPasskeys.userId, owner.userId)))
      .returning({ id: userPasskeys.id });
    if (removed.length === 0) throw new KeelError("not_found", "That passkey is not on your account.");
    if (await hasSecondFactor(tx, owner.userId)) return;
    // A refusal here rolls the removal back with the transaction.
    if (!proof) throw new KeelError("invalid_input", "Enter your password to remove your last second factor.", { proof: "Enter your password." });
    await proveOwner(tx, owner.userId, proof, now);
    await deleteRecoveryCodes(tx, owner.userId);
  });
}

/** Options for signing in: with `userId`, the person's own passkeys (a second step); without, any discoverable one. */
export async function authenticationOptions(tx: Tx | null, userId: string | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const rp = await relyingParty();
  const own = userId && tx ? await tx.select().from(userPasskeys).where(eq(userPasskeys.userId, userId)) : [];
  if (userId && own.length === 0) throw new KeelError("not_found", "This account has no passkey.");
  return generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: own.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
    // Without a password first, the passkey alone must be two factors: the device's PIN or biometric.
    userVerification: userId ? "preferred" : "required",
  });
}

/**
 * Verifies a sign-in assertion signed over `expectedChallenge`; with `userId`, only that person's
 * passkeys count. Moves the counter forward; returns the passkey's owner, or null.
 */
export async function verifyPasskeyAssertion(responseJson: string, expectedChallenge: string, userId: string | null, now = new Date()): Promise<string | null> {
  const response = parseCredentialResponse(responseJson);
  if (!response) return null;
  const rp = await relyingParty();
  return withSystem("passkey sign-in: find and check the credential", async (tx) => {
    const [passkey] = await tx.select().from(userPasskeys).where(eq(userPasskeys.credentialId, response.id));
    if (!passkey || (userId && passkey.userId !== userId)) return null;
    const verification = await verifyAuthenticationResponse({
      response: response as unknown as AuthenticationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(Buffer.from(passkey.publicKey, "base64url")),
        counter: passkey.counter,
        transports: transportsOf(passkey),
      },
      requireUserVerification: !userId,
    }).catch((error: unknown) => {
      log.info({ err: error }, "passkey sign-in refused");
      return null;
    });
    if (!verification?.verified) return null;
    await tx.update(userPasskeys).set({ counter: verification.authenticationInfo.newCounter, lastUsedAt: now }).where(eq(userPasskeys.id, passkey.id));
    return passkey.userId;
  });
}
