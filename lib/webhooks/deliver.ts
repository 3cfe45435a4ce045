// One webhook POST, connected to the address that was checked (a custom `lookup` returns it), so a
// DNS answer that changes between the check and the connection (DNS rebinding) cannot redirect it.
// Redirects are not followed, and the whole exchange has a short deadline.
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { WebhookTarget } from "./webhook-target";

export interface DeliveryResult {
  status: number;
}

export const WEBHOOK_TIMEOUT_MS = 5_000;

export function postToWebhook(target: WebhookTarget, body: string, headers: Record<string, string>, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<DeliveryResult> {
  const { address, family } = target.address;
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const transport = target.url.protocol === "https:" ? https : http;
  return new Promise<DeliveryResult>((resolve, reject) => {
    const request = transport.request(
      target.url,
      {
        method: "POST",
        lookup: pinnedLookup,
        // A fresh connection each time: a pooled socket could have been opened to another address.
        agent: false,
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "Keel-Webhooks/1", ...headers },
      },
      (response) => {
        // The answer's body is not needed; reading it only keeps the connection busy.
        response.resume();
        response.on("error", () => {});
        clearTimeout(deadline);
        request.destroy();
        resolve({ status: response.statusCode ?? 0 });
      },
    );
    const deadline = setTimeout(() => request.destroy(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs);
    request.on("error", (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    request.end(body);
  });
}
