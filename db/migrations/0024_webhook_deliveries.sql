-- Webhook deliveries (lib/webhooks/deliveries.ts): each signed event a workspace's webhook is owed
-- (an alert opened or resolved, a soft-limit warning) is a row, recorded in the transaction that
-- decided it and delivered by a durable job of its own with its own timeout and retries, so one
-- slow receiver holds up nothing but its own deliveries. Deliveries are signed the Standard
-- Webhooks way; the alert episodes' own delivery columns move here.
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"event_key" text NOT NULL,
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"last_status" integer,
	"claimed_until" timestamp with time zone,
	"dispatched_at" timestamp with time zone,
	"dispatch_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempted_at" timestamp with time zone,
	"settled_at" timestamp with time zone,
	CONSTRAINT "webhook_deliveries_status_check" CHECK ("webhook_deliveries"."status" in ('pending', 'delivered', 'failed', 'skipped'))
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_event_idx" ON "webhook_deliveries" USING btree ("tenant_id","event_key");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" USING btree ("created_at") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON webhook_deliveries FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON webhook_deliveries FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint

SET LOCAL ROLE keel_system;--> statement-breakpoint
-- Signing secrets become Standard Webhooks secrets (`whsec_` + base64 of the key). One made for
-- the old Keel-Signature scheme (`whsec_` + 43 base64url characters) was used whole, as text, as
-- the HMAC key: its new form keeps that very key, so a receiver holding the old string verifies
-- with `new Webhook(old, { format: "raw" })` or with the new form shown after a rotation.
UPDATE tenant_ai_settings
  SET warning_webhook_secret = 'whsec_' || replace(encode(convert_to(warning_webhook_secret, 'UTF8'), 'base64'), E'\n', '')
  WHERE warning_webhook_secret ~ '^whsec_[A-Za-z0-9_-]{43}$';--> statement-breakpoint

-- Each end of every alert episode becomes a delivery, in the state the episode recorded for it:
-- settled ones as delivered, skipped (no webhook or secret) or failed; unsettled ones pending, for
-- the dispatcher to hand to a delivery job (their earlier attempts count).
INSERT INTO webhook_deliveries (id, tenant_id, event_key, event_type, payload, status, attempts, last_error, created_at, settled_at)
SELECT d.id, d.tenant_id, 'alert:' || d.episode_id || ':' || d.end_name, 'alert.' || d.end_name,
  jsonb_build_object(
    'id', d.id, 'type', 'alert.' || d.end_name, 'created', floor(extract(epoch FROM d.happened_at))::bigint, 'tenantId', d.tenant_id,
    'alert', jsonb_build_object(
      'id', d.episode_id, 'metric', d.metric_key, 'label', d.label, 'unit', d.unit, 'threshold', d.threshold,
      'openedAt', to_char(d.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'openedValue', d.opened_value, 'peakValue', d.peak_value,
      'resolvedAt', to_char(d.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'resolvedValue', d.resolved_value)),
  CASE
    WHEN d.settled_at IS NULL THEN 'pending'
    WHEN d.error IS NULL THEN 'delivered'
    WHEN d.error LIKE 'No webhook set%' OR d.error LIKE 'No signing secret%' THEN 'skipped'
    ELSE 'failed'
  END,
  CASE WHEN d.settled_at IS NULL THEN d.pending_attempts ELSE 0 END,
  d.error, d.happened_at, d.settled_at
FROM (
  SELECT gen_random_uuid() AS id, e.id AS episode_id, e.tenant_id, 'opened' AS end_name, e.opened_at AS happened_at,
    e.opened_delivered_at AS settled_at, e.opened_delivery_error AS error,
    CASE WHEN e.opened_delivered_at IS NULL THEN e.delivery_attempts ELSE 0 END AS pending_attempts,
    e.metric_key, e.label, e.unit, e.threshold, e.opened_at, e.opened_value, e.peak_value, e.resolved_at, e.resolved_value
  FROM alert_episodes e
  UNION ALL
  SELECT gen_random_uuid(), e.id, e.tenant_id, 'resolved', e.resolved_at, e.resolved_delivered_at, e.resolved_delivery_error,
    CASE WHEN e.opened_delivered_at IS NOT NULL THEN e.delivery_attempts ELSE 0 END,
    e.metric_key, e.label, e.unit, e.threshold, e.opened_at, e.opened_value, e.peak_value, e.resolved_at, e.resolved_value
  FROM alert_episodes e WHERE e.resolved_at IS NOT NULL
) d;--> statement-breakpoint
RESET ROLE;--> statement-breakpoint

ALTER TABLE "alert_episodes" DROP COLUMN "opened_delivered_at";--> statement-breakpoint
ALTER TABLE "alert_episodes" DROP COLUMN "opened_delivery_error";--> statement-breakpoint
ALTER TABLE "alert_episodes" DROP COLUMN "resolved_delivered_at";--> statement-breakpoint
ALTER TABLE "alert_episodes" DROP COLUMN "resolved_delivery_error";--> statement-breakpoint
ALTER TABLE "alert_episodes" DROP COLUMN "delivery_attempts";--> statement-breakpoint
ALTER TABLE "alert_episodes" DROP COLUMN "delivery_claimed_until";
