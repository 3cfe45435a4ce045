// Known-device tokens: a browser that signed in to an account gets a signed token (a cookie) for
// that account. Sign-in attempts that present one are judged by the token's own counter instead
// of the account's and the address's, so someone who knows a victim's email and spends the
// account's guessing budget from many addresses still cannot lock the victim out of a browser
// they have used before (the "device cookie" defence). The token names no user and stores
// nothing server-side: an HMAC under AUTH_SECRET over the email's digest, a random id and an expiry.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const knownDeviceCookie = "keel-known-device";
export const knownDeviceLifetimeMs = 180 * 24 * 60 * 60_000;

function emailDigest(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("base64url");
}

function mac(secret: string, email: string, id: string, expiresAt: number): Buffer {
  return createHmac("sha256", secret)
    .update(`keel-known-device\n${emailDigest(email)}\n${id}\n${expiresAt}`)
    .digest();
}

export function issueKnownDeviceToken(email: string, secret: string, now = new Date()): string {
  const id = randomBytes(16).toString("base64url");
  const expiresAt = Math.floor((now.getTime() + knownDeviceLifetimeMs) / 1000);
  return `${id}.${expiresAt}.${mac(secret, email, id, expiresAt).toString("base64url")}`;
}

/** The token's id when it is genuine, unexpired and issued for `email`; else null. */
export function verifyKnownDeviceToken(token: string | null | undefined, email: string, secret: string, now = new Date()): string | null {
  if (!token || token.length > 128) return null;
  const match = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  const [, id, expires, signature] = match as unknown as [string, string, string, string];
  const expiresAt = Number(expires);
  if (expiresAt * 1000 <= now.getTime()) return null;
  const expected = mac(secret, email, id, expiresAt);
  const given = Buffer.from(signature, "base64url");
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
}

/** The known-device token in a Cookie header, if any. */
export function knownDeviceTokenFromCookies(cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(";")) {
    const [name, ...value] = part.split("=");
    if (name?.trim() === knownDeviceCookie) return value.join("=").trim() || null;
  }
  return null;
}
