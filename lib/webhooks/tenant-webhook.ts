// Posts one signed delivery to the tenant's webhook (Settings → Quota warnings and alerts), if it
// set one: the address checked again at send time (the name may point elsewhere since it was
// saved), connected to exactly that address, the body signed with the tenant's secret.
import { eq } from "drizzle-orm";
import { tenantAiSettings } from "@/db/schema";
import type { Db } from "@/db/client";
import { withTenant } from "@/db/scope";
import { postToWebhook } from "./deliver";
import { signedWebhookHeaders } from "./signature";
import { resolveWebhookTarget, type WebhookTargetOptions } from "./webhook-target";

export interface TenantWebhookOptions extends WebhookTargetOptions {
  db?: Db;
  /** The whole exchange's deadline (default WEBHOOK_TIMEOUT_MS). */
  timeoutMs?: number;
}

export type TenantWebhookOutcome =
  | { kind: "none" }
  | { kind: "unsigned"; reason: string }
  | { kind: "refused"; reason: string }
  | { kind: "delivered"; status: number }
  | { kind: "failed"; status?: number; reason: string };

export const NO_WEBHOOK = "No webhook set in Settings.";

/** One attempt at a delivery: `id` signs it (webhook-id), `body` is sent as is. */
export async function sendSignedWebhook(
  tenantId: string,
  delivery: { id: string; body: string },
  options: TenantWebhookOptions = {},
): Promise<TenantWebhookOutcome> {
  const [settings] = await withTenant(
    tenantId,
    (tx) =>
      tx
        .select({ url: tenantAiSettings.warningWebhookUrl, secret: tenantAiSettings.warningWebhookSecret })
        .from(tenantAiSettings)
        .where(eq(tenantAiSettings.tenantId, tenantId)),
    { db: options.db },
  );
  if (!settings?.url) return { kind: "none" };
  // Saved before deliveries were signed: an unsigned delivery could not be told from a forgery.
  if (!settings.secret) return { kind: "unsigned", reason: "No signing secret: create one in Settings (Rotate signing secret)." };

  let target;
  try {
    target = await resolveWebhookTarget(settings.url, options);
  } catch (error) {
    return { kind: "refused", reason: error instanceof Error ? error.message : String(error) };
  }
  try {
    const { status } = await postToWebhook(target, delivery.body, signedWebhookHeaders(settings.secret, delivery.id, delivery.body), options.timeoutMs);
    if (status >= 200 && status < 300) return { kind: "delivered", status };
    return { kind: "failed", status, reason: status >= 300 && status < 400 ? "Redirects are not followed." : `The receiver answered ${status}.` };
  } catch (error) {
    return { kind: "failed", reason: error instanceof Error ? error.message : String(error) };
  }
}

export function describeOutcome(outcome: TenantWebhookOutcome): string | null {
  switch (outcome.kind) {
    case "delivered":
      return null;
    case "none":
      return NO_WEBHOOK;
    case "failed":
      return outcome.status ? `${outcome.reason} (HTTP ${outcome.status})` : outcome.reason;
    default:
      return outcome.reason;
  }
}
