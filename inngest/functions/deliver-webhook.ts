// deliver-webhook: one job per webhook delivery (an alert's end, a soft-limit warning), so a slow or
// hanging receiver holds up only its own deliveries. Each attempt is bounded by the delivery's
// deadline (WEBHOOK_TIMEOUT_MS); a failed one is retried with backoff, as the step's retries, up to
// MAX_DELIVERY_ATTEMPTS; then it is given up with its reason. At most WEBHOOK_DELIVERY_CONCURRENCY
// deliveries run at once, and at most two of one workspace, so one workspace's stuck receiver
// cannot take the slots the others need.
import type { Inngest } from "inngest";
import { attemptWebhookDelivery, giveUpWebhookDelivery } from "@/lib/webhooks/deliveries";
import type { TenantWebhookOptions } from "@/lib/webhooks/tenant-webhook";
import { inngest } from "../client";
import { webhookDeliveryRequested } from "../events";

const WEBHOOK_DELIVERY_CONCURRENCY = 10;
/** MAX_DELIVERY_ATTEMPTS - 1 (Inngest's option takes a literal; a test holds the two together). */
export const WEBHOOK_DELIVERY_RETRIES = 9;
export const WEBHOOK_DELIVERIES_PER_TENANT = 2;

/** Thrown to have the step retried: the receiver failed and attempts remain. */
class DeliveryNotYetMade extends Error {
  override name = "DeliveryNotYetMade";
}

interface DeliveryData {
  tenantId: string;
  deliveryId: string;
}

/** The function for `client`; tests make their own, with their event name and delivery options. */
export function createDeliverWebhookFunction(client: Inngest.Any, options: { eventName?: string; delivery?: TenantWebhookOptions } = {}) {
  return client.createFunction(
    {
      id: "deliver-webhook",
      name: "Deliver a webhook",
      triggers: [{ event: options.eventName ?? webhookDeliveryRequested.name }],
      retries: WEBHOOK_DELIVERY_RETRIES,
      concurrency: [{ limit: WEBHOOK_DELIVERY_CONCURRENCY }, { key: "event.data.tenantId", limit: WEBHOOK_DELIVERIES_PER_TENANT }],
      onFailure: async ({ event, error }) => {
        const { tenantId, deliveryId } = event.data.event.data as DeliveryData;
        await giveUpWebhookDelivery(tenantId, deliveryId, error.message);
      },
    },
    async ({ event, step }) => {
      const { tenantId, deliveryId } = event.data as DeliveryData;
      return step.run("post", async () => {
        const result = await attemptWebhookDelivery(tenantId, deliveryId, options.delivery);
        if (result.kind === "retry") throw new DeliveryNotYetMade(result.reason);
        return result;
      });
    },
  );
}

export const deliverWebhookFunction = createDeliverWebhookFunction(inngest);
