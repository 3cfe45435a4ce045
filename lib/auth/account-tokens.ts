// Single-use secrets for emailed links (verification, password reset, email change). The link
// carries the secret; only its sha256 is stored. Spending a token is one UPDATE that also checks
// it is unused and unexpired, inside the caller's transaction: two clicks racing spend it once,
// and if the change it guards fails, the token is not spent.
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { accountTokens, type AccountTokenPurpose } from "@/db/schema";
import type { Tx } from "@/db/client";
import { KeelError } from "@/lib/errors";

const minute = 60_000;

/** How long each link works. A reset link must expire within the hour (issue 19.2). */
export const tokenLifetimeMs: Record<AccountTokenPurpose, number> = {
  verify_email: 48 * 60 * minute,
  reset_password: 30 * minute,
  change_email: 60 * minute,
};

/** The shape of a secret in a link: 32 random bytes, base64url. Anything else is refused before a lookup. */
export const accountTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "This link is not valid. Check that you copied all of it.");

function hashAccountToken(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/**
 * Issues a token and withdraws the user's earlier unused ones for the same purpose: only the
 * latest link works. Returns the secret for the link.
 */
export async function issueAccountToken(
  tx: Tx,
  input: { userId: string; purpose: AccountTokenPurpose; email: string },
  now = new Date(),
): Promise<{ secret: string; expiresAt: Date }> {
  await tx
    .update(accountTokens)
    .set({ usedAt: now })
    .where(and(eq(accountTokens.userId, input.userId), eq(accountTokens.purpose, input.purpose), isNull(accountTokens.usedAt)));
  const secret = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + tokenLifetimeMs[input.purpose]);
  await tx.insert(accountTokens).values({ ...input, tokenHash: hashAccountToken(secret), expiresAt });
  return { secret, expiresAt };
}

const invalidLink = () => new KeelError("not_found", "This link is not valid. Check that you copied all of it, or ask for a new one.");

/** Why a token cannot be spent, for the person who clicked it. Unknown, used and expired read differently. */
async function explainUnusable(tx: Tx, purpose: AccountTokenPurpose, tokenHash: string, now: Date): Promise<KeelError> {
  const [row] = await tx
    .select({ usedAt: accountTokens.usedAt, expiresAt: accountTokens.expiresAt })
    .from(accountTokens)
    .where(and(eq(accountTokens.tokenHash, tokenHash), eq(accountTokens.purpose, purpose)));
  if (!row) return invalidLink();
  if (row.usedAt) return new KeelError("gone", "This link was already used, or a newer one was sent. Ask for a new one if you still need it.");
  if (row.expiresAt <= now) return new KeelError("gone", "This link has expired. Ask for a new one.");
  return invalidLink();
}

/** Spends the token (in the caller's transaction) and says whose it was and for which address. */
export async function spendAccountToken(tx: Tx, purpose: AccountTokenPurpose, secret: string, now = new Date()): Promise<{ userId: string; email: string }> {
  if (!accountTokenSchema.safeParse(secret).success) throw invalidLink();
  const tokenHash = hashAccountToken(secret);
  const [spent] = await tx
    .update(accountTokens)
    .set({ usedAt: now })
    .where(and(eq(accountTokens.tokenHash, tokenHash), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt), gt(accountTokens.expiresAt, now)))
    .returning({ userId: accountTokens.userId, email: accountTokens.email });
  if (!spent) throw await explainUnusable(tx, purpose, tokenHash, now);
  return spent;
}

/** Checks a token without spending it: the page behind a link shows its form only for a usable one. */
export async function checkAccountToken(tx: Tx, purpose: AccountTokenPurpose, secret: string, now = new Date()): Promise<{ userId: string; email: string }> {
  if (!accountTokenSchema.safeParse(secret).success) throw invalidLink();
  const tokenHash = hashAccountToken(secret);
  const [row] = await tx
    .select({ userId: accountTokens.userId, email: accountTokens.email })
    .from(accountTokens)
    .where(and(eq(accountTokens.tokenHash, tokenHash), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt), gt(accountTokens.expiresAt, now)));
  if (!row) throw await explainUnusable(tx, purpose, tokenHash, now);
  return row;
}
