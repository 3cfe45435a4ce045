// Recovery codes: ten single-use codes, shown once when a first second factor is enabled (or new
// ones are asked for), stored only as sha256 (each carries 50 random bits: a slow hash would add
// nothing against guessing, which the throttle bounds). Spending one is a single conditional
// UPDATE, so two sign-ins racing with the same code cannot both pass.
import { createHash, randomInt } from "node:crypto";
import { and, count, eq, isNull } from "drizzle-orm";
import { userRecoveryCodes } from "@/db/schema";
import type { Tx } from "@/db/client";

const recoveryCodeCount = 10;
// No 0/o, 1/l/i: codes are read off paper and typed by hand.
const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

/** Lower-case letters and digits only: "ABCDE-fghjk" and "abcdefghjk" are the same code. */
function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function hashCode(code: string): string {
  return createHash("sha256")
    .update(`keel-recovery\n${normaliseRecoveryCode(code)}`)
    .digest("hex");
}

function newCode(): string {
  let text = "";
  for (let i = 0; i < 10; i++) text += alphabet[randomInt(alphabet.length)];
  return `${text.slice(0, 5)}-${text.slice(5)}`;
}

/** Whether `code` has the shape of a recovery code (so the second step knows which check to run). */
function looksLikeRecoveryCode(code: string): boolean {
  return normaliseRecoveryCode(code).length === 10;
}

/** Replaces every code of the user with ten new ones; returns them, to be shown once. */
export async function replaceRecoveryCodes(tx: Tx, userId: string): Promise<string[]> {
  const codes = Array.from({ length: recoveryCodeCount }, newCode);
  await tx.delete(userRecoveryCodes).where(eq(userRecoveryCodes.userId, userId));
  await tx.insert(userRecoveryCodes).values(codes.map((code) => ({ userId, codeHash: hashCode(code) })));
  return codes;
}

/** Spends one unused code of the user; false when it is wrong or already spent. */
export async function spendRecoveryCode(tx: Tx, userId: string, code: string, now = new Date()): Promise<boolean> {
  if (!looksLikeRecoveryCode(code)) return false;
  const spent = await tx
    .update(userRecoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(userRecoveryCodes.userId, userId), eq(userRecoveryCodes.codeHash, hashCode(code)), isNull(userRecoveryCodes.usedAt)))
    .returning({ id: userRecoveryCodes.id });
  return spent.length > 0;
}

export async function countUnusedRecoveryCodes(tx: Tx, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(userRecoveryCodes)
    .where(and(eq(userRecoveryCodes.userId, userId), isNull(userRecoveryCodes.usedAt)));
  return Number(row?.n ?? 0);
}

export async function deleteRecoveryCodes(tx: Tx, userId: string): Promise<void> {
  await tx.delete(userRecoveryCodes).where(eq(userRecoveryCodes.userId, userId));
}
