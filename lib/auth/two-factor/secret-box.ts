// Encrypts authenticator secrets at rest: AES-256-GCM under a key derived from AUTH_SECRET with
// HKDF (its own "info", so the key is used for nothing else), with the user id as associated
// data, so a ciphertext copied onto another account's row does not decrypt. A database dump alone
// (without AUTH_SECRET) does not yield anyone's codes. Rotating AUTH_SECRET makes stored
// authenticator apps unreadable: their owners sign in with a recovery code or a passkey and set
// the app up again (docs/accounts.md).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { KeelError } from "@/lib/errors";

const version = "v1";
const info = "keel two-factor secret v1";

function keyFrom(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "keel", info, 32));
}

function authSecret(secret: string | undefined): string {
  const value = secret ?? process.env.AUTH_SECRET;
  if (!value) throw new KeelError("unavailable", "Two-factor sign-in needs AUTH_SECRET to be set on the server.");
  return value;
}

export function sealSecret(plaintext: string, userId: string, secret?: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFrom(authSecret(secret)), iv);
  cipher.setAAD(Buffer.from(userId));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${version}.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

/** The plaintext, or null when the box was sealed under another key or for another user, or altered. */
export function openSecret(sealed: string, userId: string, secret?: string): string | null {
  const [v, ivText, bodyText] = sealed.split(".");
  if (v !== version || !ivText || !bodyText) return null;
  const body = Buffer.from(bodyText, "base64url");
  if (body.length < 17) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFrom(authSecret(secret)), Buffer.from(ivText, "base64url"));
    decipher.setAAD(Buffer.from(userId));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
