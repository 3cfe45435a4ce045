-- Alert episodes (lib/observability/alerts): opened and resolved by the evaluate-alerts cron, one
-- open episode per tenant and metric at a time, each end delivered to the tenant's webhook once.
CREATE TABLE "alert_episodes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"metric_key" text NOT NULL,
	"label" text NOT NULL,
	"unit" text NOT NULL,
	"threshold" double precision NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"opened_value" double precision NOT NULL,
	"peak_value" double precision NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_value" double precision,
	"opened_delivered_at" timestamp with time zone,
	"opened_delivery_error" text,
	"resolved_delivered_at" timestamp with time zone,
	"resolved_delivery_error" text,
	"delivery_attempts" integer DEFAULT 0 NOT NULL,
	"delivery_claimed_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "alert_episodes" ADD CONSTRAINT "alert_episodes_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_episodes_one_open_idx" ON "alert_episodes" USING btree ("tenant_id","metric_key") WHERE resolved_at IS NULL;--> statement-breakpoint
CREATE INDEX "alert_episodes_tenant_opened_idx" ON "alert_episodes" USING btree ("tenant_id","opened_at");--> statement-breakpoint
ALTER TABLE alert_episodes ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE alert_episodes FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON alert_episodes FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON alert_episodes FOR ALL TO keel_system USING (true) WITH CHECK (true);
