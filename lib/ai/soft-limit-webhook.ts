// Posts the once-per-period soft-limit warning to the tenant's webhook, if it set one: the address
// checked again at send time, the body signed with the tenant's secret (lib/webhooks/tenant-webhook).
import { randomUUID } from "node:crypto";
import { sendTenantWebhook, type TenantWebhookOptions, type TenantWebhookOutcome } from "@/lib/webhooks/tenant-webhook";
import type { SoftLimitWarning } from "./meter";

export type SoftLimitWebhookOptions = TenantWebhookOptions;
export type SoftLimitWebhookOutcome = TenantWebhookOutcome;

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

/** Sends the warning as a `quota.soft_limit` event (lib/webhooks/tenant-webhook). */
export function sendSoftLimitWebhook(warning: SoftLimitWarning, options: SoftLimitWebhookOptions = {}): Promise<SoftLimitWebhookOutcome> {
  return sendTenantWebhook(warning.tenantId, { id: randomUUID(), type: "quota.soft_limit", limit: warning.limit, message: warning.message }, options);
}
