// Webhook signatures as payment providers make them: `Keel-Signature: t=<unix seconds>,v1=<hex>`,
// where v1 is HMAC-SHA256 of `${t}.${body}` under the tenant's signing secret. The timestamp is
// signed too, so a receiver can refuse old deliveries replayed later (see the README).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "Keel-Signature";
const SECRET_PREFIX = "whsec_";

/** A new signing secret: 32 random bytes, prefixed so people can tell what it is. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;
}

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** The header value for one delivery. */
export function signWebhookBody(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/**
 * What a receiver does (and the README shows): recompute the HMAC over the raw body, compare in
 * constant time, and refuse timestamps outside the tolerance.
 */
export function verifyWebhookSignature(secret: string, header: string, body: string, options: { toleranceSeconds?: number; now?: number } = {}): boolean {
  const fields = new Map(header.split(",").map((part) => part.trim().split("=", 2) as [string, string]));
  const timestamp = Number(fields.get("t"));
  const signature = fields.get("v1") ?? "";
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  return timingSafeEqual(Buffer.from(hmac(secret, timestamp, body), "hex"), Buffer.from(signature, "hex"));
}
