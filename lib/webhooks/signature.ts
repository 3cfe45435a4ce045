// Webhook signatures in the Standard Webhooks scheme (https://www.standardwebhooks.com), made with
// its reference library, so receivers verify deliveries with off-the-shelf code: the headers
// `webhook-id` (the delivery's id, the same on every attempt), `webhook-timestamp` (unix seconds)
// and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`), under a
// secret written `whsec_` + the base64 of its key.
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** A new signing secret: 32 random bytes, in the Standard Webhooks form. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The headers that sign one attempt of a delivery. */
export function signedWebhookHeaders(secret: string, messageId: string, body: string, at = new Date()): Record<string, string> {
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(messageId, at, body),
  };
}
