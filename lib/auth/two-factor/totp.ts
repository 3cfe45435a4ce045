// Authenticator apps (TOTP, RFC 6238: SHA-1, 6 digits, 30 s, as every app reads them). Set-up
// stores an encrypted secret unconfirmed; it becomes a second factor only once a first code from
// the app proves the app has it. A code is accepted one step either side of now (clocks drift),
// and only for a step later than the last one accepted, so a code seen over someone's shoulder
// (or replayed from a log) cannot be used again while it is still valid.
import { and, eq, isNotNull, isNull, lt, or } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import { userTotp } from "@/db/schema";
import type { Tx } from "@/db/client";
import { KeelError } from "@/lib/errors";
import { openSecret, sealSecret } from "./secret-box";

const period = 30;
const issuer = "Keel";

export interface TotpSetup {
  /** The base32 secret, for apps that cannot scan. */
  secret: string;
  /** The otpauth:// URI the QR code holds. */
  uri: string;
  /** The QR code, an SVG as a data: URL for an <img>. */
  qrDataUrl: string;
}

async function qrCodeDataUrl(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

function totpFor(secretBase32: string, label: string): TOTP {
  return new TOTP({ issuer, label, algorithm: "SHA1", digits: 6, period, secret: Secret.fromBase32(secretBase32) });
}

/** Six digits, spaces ignored ("123 456" as apps show them). */
export function normaliseTotpCode(code: string): string | null {
  const digits = code.replace(/\s/g, "");
  return /^\d{6}$/.test(digits) ? digits : null;
}

/** The 30-second step `code` belongs to (now ± 1), or null when it is not a current code. */
function matchingStep(secretBase32: string, code: string, now: Date): number | null {
  const token = normaliseTotpCode(code);
  if (!token) return null;
  const delta = totpFor(secretBase32, "check").validate({ token, timestamp: now.getTime(), window: 1 });
  return delta === null ? null : Math.floor(now.getTime() / 1000 / period) + delta;
}

export async function findTotp(tx: Tx, userId: string) {
  const [row] = await tx.select().from(userTotp).where(eq(userTotp.userId, userId));
  return row ?? null;
}

/** A new unconfirmed secret for the user (replacing an unconfirmed one); refused while one is enabled. */
export async function beginTotpSetup(tx: Tx, user: { userId: string; email: string }): Promise<TotpSetup> {
  const existing = await findTotp(tx, user.userId);
  if (existing?.confirmedAt) throw new KeelError("conflict", "An authenticator app is already set up. Turn it off first to set up another.");
  const secret = new Secret({ size: 20 }).base32;
  const sealed = sealSecret(secret, user.userId);
  await tx
    .insert(userTotp)
    .values({ userId: user.userId, secretCiphertext: sealed })
    .onConflictDoUpdate({ target: userTotp.userId, set: { secretCiphertext: sealed, confirmedAt: null, lastUsedStep: null, createdAt: new Date() } });
  const uri = totpFor(secret, user.email).toString();
  return { secret, uri, qrDataUrl: await qrCodeDataUrl(uri) };
}

/** The pending set-up's secret and URI again (the page re-renders while the person scans it). */
export async function pendingTotpSetup(tx: Tx, user: { userId: string; email: string }): Promise<TotpSetup | null> {
  const row = await findTotp(tx, user.userId);
  if (!row || row.confirmedAt) return null;
  const secret = openSecret(row.secretCiphertext, user.userId);
  if (!secret) return null;
  const uri = totpFor(secret, user.email).toString();
  return { secret, uri, qrDataUrl: await qrCodeDataUrl(uri) };
}

/**
 * Accepts `code` for the user's TOTP secret (confirmed, or the pending one with `pending`) and
 * records its step, in one conditional UPDATE: a code whose step is not after the last accepted
 * one is refused, also when two requests race with it.
 */
export async function acceptTotpCode(tx: Tx, userId: string, code: string, options: { now?: Date; pending?: boolean } = {}): Promise<boolean> {
  const now = options.now ?? new Date();
  const row = await findTotp(tx, userId);
  if (!row || Boolean(row.confirmedAt) === Boolean(options.pending)) return false;
  const secret = openSecret(row.secretCiphertext, userId);
  if (!secret) return false;
  const step = matchingStep(secret, code, now);
  if (step === null) return false;
  const accepted = await tx
    .update(userTotp)
    .set({ lastUsedStep: step, ...(options.pending ? { confirmedAt: now } : {}) })
    .where(
      and(
        eq(userTotp.userId, userId),
        options.pending ? isNull(userTotp.confirmedAt) : isNotNull(userTotp.confirmedAt),
        or(isNull(userTotp.lastUsedStep), lt(userTotp.lastUsedStep, step)),
      ),
    )
    .returning({ userId: userTotp.userId });
  return accepted.length > 0;
}

export async function deleteTotp(tx: Tx, userId: string): Promise<boolean> {
  const deleted = await tx.delete(userTotp).where(eq(userTotp.userId, userId)).returning({ userId: userTotp.userId });
  return deleted.length > 0;
}
