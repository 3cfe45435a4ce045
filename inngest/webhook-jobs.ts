// Requesting the job of each recorded webhook delivery (lib/webhooks/deliveries.ts): one event per
// delivery, whose id names the delivery and how often its job was requested, so a replayed request
// starts nothing twice. A request that fails leaves the delivery to the every-minute dispatcher.
import type { Inngest } from "inngest";
import { markDispatched, type DeliveryRef } from "@/lib/webhooks/deliveries";
import { log } from "@/core/log";
import { inngest } from "./client";
import { webhookDeliveryRequested } from "./events";

export interface DeliveryRequestOptions {
  /** Tests send their own event to their own function. */
  eventName?: string;
  client?: Inngest.Any;
}

export function deliveryEvents(refs: Array<DeliveryRef & { dispatchCount?: number }>, eventName: string = webhookDeliveryRequested.name) {
  return refs.map(({ tenantId, deliveryId, dispatchCount = 0 }) => ({
    id: `webhook-delivery-${deliveryId}-${dispatchCount}`,
    name: eventName,
    data: { tenantId, deliveryId },
  }));
}

/** Requests the deliveries' jobs now; never throws (the dispatcher catches up on what failed). */
export async function requestWebhookDeliveries(refs: Array<DeliveryRef & { dispatchCount?: number }>, options: DeliveryRequestOptions = {}): Promise<void> {
  if (refs.length === 0) return;
  try {
    const client: Inngest.Any = options.client ?? inngest;
    await client.send(deliveryEvents(refs, options.eventName));
    await markDispatched(refs.map((ref) => ref.deliveryId));
  } catch (error) {
    log.warn({ err: error, deliveries: refs.length }, "webhooks: could not request delivery jobs now; the dispatcher will");
  }
}
