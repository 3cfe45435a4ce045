// Live job progress and notifications for one tenant, as the SSE route streams them. Messages of
// other tenants never reach a subscriber: the filter is on the tenant id the guard resolved from
// the session, and the person's own notifications only.
import { subscribeToChannel } from "@/db/channels";
import { log } from "@/core/log";
import { JOB_CHANNEL, liveMessageSchema, type LiveMessage } from "./job-events";

export interface LiveSubscription {
  tenantId: string;
  userId: string;
  onMessage(message: LiveMessage): void;
  /** The connection was (re)established: the subscriber should resend a fresh snapshot. */
  onResync?(): void;
}

export function subscribeToLiveUpdates(subscription: LiveSubscription): Promise<() => void> {
  return subscribeToChannel(JOB_CHANNEL, {
    onMessage(payload) {
      let parsed;
      try {
        parsed = liveMessageSchema.safeParse(JSON.parse(payload));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) {
        log.warn({ channel: JOB_CHANNEL }, "ignored a malformed live message");
        return;
      }
      const message = parsed.data;
      if (message.tenantId !== subscription.tenantId) return;
      if (message.type === "notification" && message.userId !== subscription.userId) return;
      subscription.onMessage(message);
    },
    onListen: () => subscription.onResync?.(),
  });
}
