// Short-lived challenges that bind a step to the attempt that earned it. After the right password
// an account with a second factor gets a `sign_in` challenge: its secret goes to the browser as an
// HttpOnly cookie, only its sha256 is stored, and the second step names no user, so the browser
// can claim nothing but the attempt it was given. A passwordless passkey sign-in gets a
// `passkey_sign_in` challenge the same way. Each lives 5 minutes, dies after 5 wrong codes, and
// is spent by one conditional UPDATE in the transaction that accepts the factor.
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { twoFactorChallenges, type TwoFactorChallenge, type TwoFactorChallengePurpose } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem } from "@/db/scope";

export const challengeLifetimeMs = 5 * 60_000;
export const maxChallengeFailures = 5;
/** The cookie that carries a second step's secret, and the one for a passwordless passkey ceremony. */
export const secondStepCookie = "keel-second-step";
export const passkeySignInCookie = "keel-passkey-sign-in";

function hashChallengeToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

interface OpenedChallenge {
  id: string;
  /** The secret for the browser (a cookie); never stored. */
  token: string;
}

export async function openChallenge(
  tx: Tx,
  purpose: TwoFactorChallengePurpose,
  userId: string | null,
  options: { webauthnChallenge?: string; now?: Date } = {},
): Promise<OpenedChallenge> {
  const now = options.now ?? new Date();
  const token = randomBytes(32).toString("base64url");
  const [row] = await tx
    .insert(twoFactorChallenges)
    .values({
      userId,
      purpose,
      tokenHash: hashChallengeToken(token),
      webauthnChallenge: options.webauthnChallenge ?? null,
      expiresAt: new Date(now.getTime() + challengeLifetimeMs),
    })
    .returning({ id: twoFactorChallenges.id });
  return { id: row!.id, token };
}

/** Opens the challenge of a second step after the right password (before anyone is signed in). */
export function openSecondStep(userId: string, now = new Date()): Promise<OpenedChallenge> {
  return withSystem("two-factor: open a second step after the right password", (tx) => openChallenge(tx, "sign_in", userId, { now }));
}

/** The unspent, unexpired challenge behind a browser's secret, or null. */
export async function findLiveChallenge(
  token: string | null | undefined,
  purpose: TwoFactorChallengePurpose,
  now = new Date(),
): Promise<TwoFactorChallenge | null> {
  if (!token || token.length > 100) return null;
  const [row] = await withSystem("two-factor: find the challenge behind a browser's secret", (tx) =>
    tx
      .select()
      .from(twoFactorChallenges)
      .where(
        and(
          eq(twoFactorChallenges.tokenHash, hashChallengeToken(token)),
          eq(twoFactorChallenges.purpose, purpose),
          isNull(twoFactorChallenges.usedAt),
          gt(twoFactorChallenges.expiresAt, now),
          lt(twoFactorChallenges.failures, maxChallengeFailures),
        ),
      ),
  );
  return row ?? null;
}

/** Stores the WebAuthn challenge an authenticator must sign for this attempt. */
export async function attachWebauthnChallenge(id: string, webauthnChallenge: string): Promise<void> {
  await withSystem("two-factor: attach a passkey challenge", (tx) =>
    tx.update(twoFactorChallenges).set({ webauthnChallenge }).where(eq(twoFactorChallenges.id, id)),
  );
}

/** Counts a wrong answer; the fifth ends the challenge (the password must be given again). */
export async function recordChallengeFailure(id: string): Promise<void> {
  await withSystem("two-factor: count a wrong answer", (tx) =>
    tx
      .update(twoFactorChallenges)
      .set({ failures: sql`${twoFactorChallenges.failures} + 1` })
      .where(eq(twoFactorChallenges.id, id)),
  );
}

/** Spends the challenge once: false when another request spent it first or it expired. */
export async function spendChallenge(tx: Tx, id: string, now = new Date()): Promise<boolean> {
  const spent = await tx
    .update(twoFactorChallenges)
    .set({ usedAt: now })
    .where(
      and(
        eq(twoFactorChallenges.id, id),
        isNull(twoFactorChallenges.usedAt),
        gt(twoFactorChallenges.expiresAt, now),
        lt(twoFactorChallenges.failures, maxChallengeFailures),
      ),
    )
    .returning({ id: twoFactorChallenges.id });
  return spent.length > 0;
}

/** Deletes challenges that expired over an hour ago. For a cron. */
export async function purgeExpiredChallenges(now = new Date()): Promise<number> {
  const hourAgo = new Date(now.getTime() - 60 * 60_000);
  const deleted = await withSystem("two-factor: purge expired challenges", (tx) =>
    tx.delete(twoFactorChallenges).where(lt(twoFactorChallenges.expiresAt, hourAgo)).returning({ id: twoFactorChallenges.id }),
  );
  return deleted.length;
}
