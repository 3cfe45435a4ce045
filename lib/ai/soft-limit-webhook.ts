// The once-per-period soft-limit warning, for the tenant's webhook: recorded as a webhook delivery
// (lib/webhooks/deliveries.ts), which the every-minute dispatcher hands to a delivery job of its own
// (signed, with its own timeout and retries), so the meter never waits on a receiver.
import { randomUUID } from "node:crypto";
import { withTenant } from "@/db/scope";
import { log } from "@/core/log";
import { recordWebhookDelivery, type DeliveryRef } from "@/lib/webhooks/deliveries";
import type { SoftLimitWarning } from "./meter";

/** The meter's soft-limit hook: logs the warning and records its webhook delivery in the background. */
export function postSoftLimitWebhook(warning: SoftLimitWarning, webhookUrl: string | null): void {
  log.warn({ tenantId: warning.tenantId, limit: warning.limit }, `quota warning: ${warning.message}`);
  if (!webhookUrl) return;
  recordSoftLimitWebhook(warning).catch((error: unknown) =>
    log.error({ err: error, tenantId: warning.tenantId }, "quota warning webhook could not be recorded"),
  );
}

/** Records the warning as a `quota.soft_limit` delivery (each crossing once: the meter reports it once). */
export function recordSoftLimitWebhook(warning: SoftLimitWarning, now = new Date()): Promise<DeliveryRef | null> {
  return withTenant(warning.tenantId, (tx) =>
    recordWebhookDelivery(
      tx,
      warning.tenantId,
      `quota.soft_limit:${randomUUID()}`,
      { type: "quota.soft_limit", limit: warning.limit, message: warning.message },
      now,
    ),
  );
}
