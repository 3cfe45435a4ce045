-- Per-key and per-workspace rate limits on /api/v1 (lib/ai/rate-limits): requests and tokens per
-- minute in fixed windows, the row layout of rate-limiter-flexible's PostgreSQL store (key,
-- points, expire in epoch milliseconds) plus the tenant, under row-level security.
-- keel_rate_limit_consume (db/functions) counts in this table, one round trip per API call.
CREATE TABLE "api_rate_limits" (
	"tenant_id" uuid NOT NULL,
	"key" text NOT NULL,
	"points" bigint DEFAULT 0 NOT NULL,
	"expire" bigint NOT NULL,
	CONSTRAINT "api_rate_limits_tenant_id_key_pk" PRIMARY KEY("tenant_id","key")
) WITH (fillfactor = 70);
--> statement-breakpoint
-- fillfactor: every API call rewrites a few of these rows; room on the page keeps the updates HOT.
ALTER TABLE "api_rate_limits" ADD CONSTRAINT "api_rate_limits_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE api_rate_limits ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE api_rate_limits FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON api_rate_limits FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON api_rate_limits FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint

-- What an admin set in Settings; null: the plan's figure (lib/ai/plans.ts).
ALTER TABLE "tenant_ai_settings" ADD COLUMN "api_key_requests_per_minute" integer;--> statement-breakpoint
ALTER TABLE "tenant_ai_settings" ADD COLUMN "api_key_tokens_per_minute" bigint;--> statement-breakpoint
ALTER TABLE "tenant_ai_settings" ADD COLUMN "workspace_requests_per_minute" integer;--> statement-breakpoint
ALTER TABLE "tenant_ai_settings" ADD COLUMN "workspace_tokens_per_minute" bigint;
