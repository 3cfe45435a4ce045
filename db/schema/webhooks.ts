// Webhook deliveries: each signed event a workspace's webhook is owed (an alert opened or resolved,
// a soft-limit warning), recorded in the transaction that decided it and delivered by a durable job
// of its own (inngest/functions/deliver-webhook.ts), with its own timeout and retries. The id is the
// Standard Webhooks message id (`webhook-id`), the same on every attempt.
import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenancy";

export const webhookDeliveryStatuses = ["pending", "delivered", "failed", "skipped"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** What the delivery is for (`alert:<episode>:opened`): recording it twice records it once. */
    eventKey: text("event_key").notNull(),
    eventType: text("event_type").notNull(),
    /** The JSON body, the same on every attempt. */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /** pending → delivered; failed (refused, or given up after its attempts); skipped (no webhook, no secret). */
    status: text("status").$type<WebhookDeliveryStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** Why the last attempt did not deliver it (or why it was not sent at all). */
    lastError: text("last_error"),
    lastStatus: integer("last_status"),
    /** An attempt in flight holds the delivery until then, so two jobs never post it at once. */
    claimedUntil: timestamp("claimed_until", { withTimezone: true }),
    /** When its job was last requested, and how often (a job that vanished is requested again). */
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true }),
    dispatchCount: integer("dispatch_count").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }),
    settledAt: timestamp("settled_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event_idx").on(t.tenantId, t.eventKey),
    index("webhook_deliveries_pending_idx")
      .on(t.createdAt)
      .where(sql`${t.status} = 'pending'`),
    check("webhook_deliveries_status_check", sql`${t.status} in ('pending', 'delivered', 'failed', 'skipped')`),
  ],
);
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type NewWebhookDelivery = typeof webhookDeliveries.$inferInsert;
