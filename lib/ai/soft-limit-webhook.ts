// Posts the once-per-period soft-limit warning to the tenant's webhook, if it set one: the address
// checked again at send time, the body signed with the tenant's secret (lib/webhooks).
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { tenantAiSettings } from "@/db/schema";
import type { Db } from "@/db/client";
import { withTenant } from "@/db/scope";
import { postToWebhook } from "@/lib/webhooks/deliver";
import { SIGNATURE_HEADER, signWebhookBody } from "@/lib/webhooks/signature";
import { resolveWebhookTarget, type WebhookTargetOptions } from "@/lib/webhooks/webhook-target";
import type { SoftLimitWarning } from "./meter";

export interface SoftLimitWebhookOptions extends WebhookTargetOptions {
  db?: Db;
  timeoutMs?: number;
}

export type SoftLimitWebhookOutcome =
  | { kind: "none" }
  | { kind: "unsigned"; reason: string }
  | { kind: "refused"; reason: string }
  | { kind: "delivered"; status: number }
  | { kind: "failed"; status?: number; reason: string };

/** The meter's soft-limit hook: logs the warning and sends the webhook in the background. */
export function postSoftLimitWebhook(warning: SoftLimitWarning, webhookUrl: string | null): void {
  console.warn(`keel: quota warning for tenant ${warning.tenantId}: ${warning.message}`);
  if (!webhookUrl) return;
  void sendSoftLimitWebhook(warning)
    .then((outcome) => {
      if (outcome.kind !== "delivered" && outcome.kind !== "none")
        console.error(`keel: quota warning webhook for tenant ${warning.tenantId} not delivered`, outcome);
    })
    .catch((error: unknown) => console.error("keel: quota warning webhook failed", error));
}

/**
 * Reads the tenant's current URL and secret, checks the URL's addresses again (the name may point
 * elsewhere since it was saved), then POSTs the signed warning to the checked address.
 */
export async function sendSoftLimitWebhook(warning: SoftLimitWarning, options: SoftLimitWebhookOptions = {}): Promise<SoftLimitWebhookOutcome> {
  const [settings] = await withTenant(
    warning.tenantId,
    (tx) =>
      tx
        .select({ url: tenantAiSettings.warningWebhookUrl, secret: tenantAiSettings.warningWebhookSecret })
        .from(tenantAiSettings)
        .where(eq(tenantAiSettings.tenantId, warning.tenantId)),
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
  const body = JSON.stringify({
    id: randomUUID(),
    type: "quota.soft_limit",
    created: Math.floor(Date.now() / 1000),
    tenantId: warning.tenantId,
    limit: warning.limit,
    message: warning.message,
  });
  try {
    const { status } = await postToWebhook(target, body, { [SIGNATURE_HEADER]: signWebhookBody(settings.secret, body) }, options.timeoutMs);
    if (status >= 200 && status < 300) return { kind: "delivered", status };
    return { kind: "failed", status, reason: status >= 300 && status < 400 ? "Redirects are not followed." : `The receiver answered ${status}.` };
  } catch (error) {
    return { kind: "failed", reason: error instanceof Error ? error.message : String(error) };
  }
}
