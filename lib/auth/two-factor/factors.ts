// A person's second factors as a whole: what they have, turning the authenticator app on (with
// the first recovery codes) and off, new recovery codes, and checking a typed code at sign-in.
// Turning a factor off or asking for new codes needs proof that the person at the keyboard is the
// account's owner (the password or a current app code), counted per user.
import { asc, eq, count } from "drizzle-orm";
import { userPasskeys, users } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withUser } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { verifyPassword } from "../password";
import { countUnusedRecoveryCodes, deleteRecoveryCodes, replaceRecoveryCodes, spendRecoveryCode } from "./recovery-codes";
import { admitTwoFactorAttempt } from "./throttle";
import { acceptTotpCode, beginTotpSetup, deleteTotp, findTotp, normaliseTotpCode, pendingTotpSetup, type TotpSetup } from "./totp";

interface PasskeySummary {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

interface TwoFactorStatus {
  totp: "off" | "pending" | "on";
  passkeys: PasskeySummary[];
  recoveryCodesLeft: number;
}

interface FactorOwner {
  userId: string;
}

export async function hasSecondFactor(tx: Tx, userId: string): Promise<boolean> {
  const totp = await findTotp(tx, userId);
  if (totp?.confirmedAt) return true;
  const [row] = await tx.select({ n: count() }).from(userPasskeys).where(eq(userPasskeys.userId, userId));
  return Number(row?.n ?? 0) > 0;
}

export async function twoFactorStatus(userId: string): Promise<TwoFactorStatus> {
  return withUser(userId, async (tx) => {
    const totp = await findTotp(tx, userId);
    const passkeys = await tx
      .select({ id: userPasskeys.id, name: userPasskeys.name, createdAt: userPasskeys.createdAt, lastUsedAt: userPasskeys.lastUsedAt })
      .from(userPasskeys)
      .where(eq(userPasskeys.userId, userId))
      .orderBy(asc(userPasskeys.createdAt));
    return {
      totp: totp?.confirmedAt ? "on" : totp ? "pending" : "off",
      passkeys,
      recoveryCodesLeft: await countUnusedRecoveryCodes(tx, userId),
    };
  });
}

/**
 * Called in the transaction that adds a factor: a person getting their first second factor (or
 * who has spent every code) gets ten recovery codes, returned to be shown once; otherwise null.
 */
export async function issueFirstRecoveryCodes(tx: Tx, userId: string, hadFactor: boolean): Promise<string[] | null> {
  if (hadFactor && (await countUnusedRecoveryCodes(tx, userId)) > 0) return null;
  return replaceRecoveryCodes(tx, userId);
}

const setupAttempts = (userId: string, now: Date) => admitTwoFactorAttempt([["setupForUser", userId]], "two-factor attempts", { now });

/** A new secret for the app, unconfirmed until its first code (lib/auth/two-factor/totp.ts). */
export async function startTotpSetup(owner: FactorOwner, now = new Date()): Promise<TotpSetup> {
  await setupAttempts(owner.userId, now);
  return withUser(owner.userId, async (tx) => {
    const [me] = await tx.select({ email: users.email }).from(users).where(eq(users.id, owner.userId));
    if (!me) throw new KeelError("unauthenticated", "Sign in to continue.");
    return beginTotpSetup(tx, { userId: owner.userId, email: me.email });
  });
}

/** The set-up waiting for its first code, if any (shown again when the page reloads). */
export async function currentTotpSetup(owner: FactorOwner): Promise<TotpSetup | null> {
  return withUser(owner.userId, async (tx) => {
    const [me] = await tx.select({ email: users.email }).from(users).where(eq(users.id, owner.userId));
    return me ? pendingTotpSetup(tx, { userId: owner.userId, email: me.email }) : null;
  });
}

/** The first code from the app turns it on; returns the recovery codes to show, if new ones were made. */
export async function confirmTotpSetup(owner: FactorOwner, code: string, now = new Date()): Promise<{ recoveryCodes: string[] | null }> {
  await setupAttempts(owner.userId, now);
  return withUser(owner.userId, async (tx) => {
    const hadFactor = await hasSecondFactor(tx, owner.userId);
    if (!(await acceptTotpCode(tx, owner.userId, code, { now, pending: true }))) {
      const message = "That code did not match. Check the time on your phone and enter the newest code.";
      throw new KeelError("invalid_input", message, { code: message });
    }
    return { recoveryCodes: await issueFirstRecoveryCodes(tx, owner.userId, hadFactor) };
  });
}

/**
 * The password, or a current code from the app. A recovery code is not taken here: it is for
 * signing in without the app, and spending one to turn the app off would be a surprise.
 */
export async function proveOwner(tx: Tx, userId: string, proof: string, now: Date): Promise<void> {
  if (normaliseTotpCode(proof) && (await acceptTotpCode(tx, userId, proof, { now }))) return;
  const [row] = await tx.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
  if (row && (await verifyPassword(row.passwordHash, proof))) return;
  const message = "That is neither your password nor a current code from your app.";
  throw new KeelError("invalid_input", message, { proof: message });
}

/** Turns the authenticator app off. With no second factor left, the recovery codes go too. */
export async function turnOffTotp(owner: FactorOwner, proof: string, now = new Date()): Promise<void> {
  await setupAttempts(owner.userId, now);
  await withUser(owner.userId, async (tx) => {
    await proveOwner(tx, owner.userId, proof, now);
    if (!(await deleteTotp(tx, owner.userId))) throw new KeelError("not_found", "No authenticator app is set up.");
    if (!(await hasSecondFactor(tx, owner.userId))) await deleteRecoveryCodes(tx, owner.userId);
  });
}

/** Ten new recovery codes; the old ones stop working. */
export async function regenerateRecoveryCodes(owner: FactorOwner, proof: string, now = new Date()): Promise<string[]> {
  await setupAttempts(owner.userId, now);
  return withUser(owner.userId, async (tx) => {
    await proveOwner(tx, owner.userId, proof, now);
    if (!(await hasSecondFactor(tx, owner.userId))) throw new KeelError("invalid_input", "Set up an authenticator app or a passkey first.");
    return replaceRecoveryCodes(tx, owner.userId);
  });
}

/** A code typed at the second step: six digits are checked against the app, anything else as a recovery code. */
export async function acceptSecondFactorCode(tx: Tx, userId: string, code: string, now = new Date()): Promise<"totp" | "recovery" | null> {
  if (normaliseTotpCode(code)) return (await acceptTotpCode(tx, userId, code, { now })) ? "totp" : null;
  return (await spendRecoveryCode(tx, userId, code, now)) ? "recovery" : null;
}
