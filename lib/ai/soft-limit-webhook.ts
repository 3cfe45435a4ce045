// Posts the once-per-period soft-limit warning to the tenant's webhook, if it set one.
import type { SoftLimitWarning } from "./meter";

export function postSoftLimitWebhook(warning: SoftLimitWarning, webhookUrl: string | null): void {
  console.warn(`keel: quota warning for tenant ${warning.tenantId}: ${warning.message}`);
  if (!webhookUrl) return;
  void fetch(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "quota.soft_limit", tenantId: warning.tenantId, limit: warning.limit, message: warning.message }),
    signal: AbortSignal.timeout(5_000),
  }).catch((error: unknown) => console.error("keel: quota warning webhook failed", error));
}
