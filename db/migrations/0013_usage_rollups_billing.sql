CREATE TABLE "billing_lines" (
	"tenant_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"feature" text NOT NULL,
	"requests" bigint NOT NULL,
	"input_tokens" bigint NOT NULL,
	"output_tokens" bigint NOT NULL,
	"cost_micro_usd" bigint NOT NULL,
	"saved_micro_usd" bigint NOT NULL,
	"amount_cents" bigint NOT NULL,
	CONSTRAINT "billing_lines_tenant_id_period_start_provider_model_feature_pk" PRIMARY KEY("tenant_id","period_start","provider","model","feature")
);
--> statement-breakpoint
CREATE TABLE "billing_periods" (
	"tenant_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"closed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"requests" bigint NOT NULL,
	"input_tokens" bigint NOT NULL,
	"output_tokens" bigint NOT NULL,
	"cost_micro_usd" bigint NOT NULL,
	"saved_micro_usd" bigint NOT NULL,
	"amount_cents" bigint NOT NULL,
	"late_requests" bigint NOT NULL,
	"late_cost_micro_usd" bigint NOT NULL,
	CONSTRAINT "billing_periods_tenant_id_period_start_pk" PRIMARY KEY("tenant_id","period_start")
);
--> statement-breakpoint
CREATE TABLE "usage_actor_rollups" (
	"tenant_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"user_id" uuid,
	"api_key_id" uuid,
	"feature" text NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"input_tokens" bigint NOT NULL,
	"output_tokens" bigint NOT NULL,
	"cost_micro_usd" bigint NOT NULL,
	"saved_micro_usd" bigint NOT NULL,
	"cache_hits" integer NOT NULL,
	CONSTRAINT "usage_actor_rollups_key" UNIQUE NULLS NOT DISTINCT("tenant_id","period_start","user_id","api_key_id","feature")
);
--> statement-breakpoint
CREATE TABLE "usage_late_events" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"own_period" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_member_days" (
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"day" date NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"input_tokens" bigint NOT NULL,
	"output_tokens" bigint NOT NULL,
	"cost_micro_usd" bigint NOT NULL,
	"saved_micro_usd" bigint NOT NULL,
	"cache_hits" integer NOT NULL,
	CONSTRAINT "usage_member_days_tenant_id_user_id_period_start_day_pk" PRIMARY KEY("tenant_id","user_id","period_start","day")
);
--> statement-breakpoint
CREATE TABLE "usage_rollups" (
	"tenant_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"day" date NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"feature" text NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"partials" integer NOT NULL,
	"input_tokens" bigint NOT NULL,
	"output_tokens" bigint NOT NULL,
	"cost_micro_usd" bigint NOT NULL,
	"saved_micro_usd" bigint NOT NULL,
	"cache_exact" integer NOT NULL,
	"cache_semantic" integer NOT NULL,
	"fallback_calls" integer NOT NULL,
	"fallbacks" integer NOT NULL,
	"attempts" integer NOT NULL,
	"latency_ms_sum" bigint NOT NULL,
	"latency_ms_max" integer NOT NULL,
	"latency_buckets" integer[] NOT NULL,
	"ttft_ms_sum" bigint NOT NULL,
	"ttft_count" integer NOT NULL,
	"validation_pass" integer NOT NULL,
	"validation_repaired" integer NOT NULL,
	"validation_failed" integer NOT NULL,
	CONSTRAINT "usage_rollups_tenant_id_period_start_day_provider_model_feature_pk" PRIMARY KEY("tenant_id","period_start","day","provider","model","feature")
);
--> statement-breakpoint
ALTER TABLE "billing_lines" ADD CONSTRAINT "billing_lines_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_periods" ADD CONSTRAINT "billing_periods_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_actor_rollups" ADD CONSTRAINT "usage_actor_rollups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_late_events" ADD CONSTRAINT "usage_late_events_event_id_usage_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."usage_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_late_events" ADD CONSTRAINT "usage_late_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_member_days" ADD CONSTRAINT "usage_member_days_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_rollups" ADD CONSTRAINT "usage_rollups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "usage_actor_rollups_user_idx" ON "usage_actor_rollups" USING btree ("tenant_id","user_id","period_start");--> statement-breakpoint
CREATE INDEX "usage_late_events_period_idx" ON "usage_late_events" USING btree ("tenant_id","period_start");--> statement-breakpoint
CREATE INDEX "usage_rollups_day_idx" ON "usage_rollups" USING btree ("day");--> statement-breakpoint
CREATE INDEX "audit_log_tenant_action_idx" ON "audit_log" USING btree ("tenant_id","action","created_at");--> statement-breakpoint

-- Row-level security: the same two policies as every tenant-owned table.
ALTER TABLE usage_rollups ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_rollups FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_rollups FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_rollups FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE usage_actor_rollups ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_actor_rollups FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_actor_rollups FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_actor_rollups FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE usage_member_days ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_member_days FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_member_days FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_member_days FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE usage_late_events ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_late_events FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_late_events FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_late_events FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE billing_periods ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE billing_periods FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON billing_periods FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON billing_periods FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE billing_lines ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE billing_lines FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON billing_lines FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON billing_lines FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint

-- Append-only: usage events are what every rollup and invoice is counted from, and a closed period
-- (its totals, its lines, the late events it billed elsewhere) never changes. Deleting a tenant
-- still removes its rows: ON DELETE CASCADE runs as the table owner.
REVOKE UPDATE, DELETE, TRUNCATE ON usage_events, usage_late_events, billing_periods, billing_lines FROM keel_app, keel_system;--> statement-breakpoint
-- Rollups are written by the trigger below only (as the inserting role): never deleted by the app.
REVOKE DELETE, TRUNCATE ON usage_rollups, usage_actor_rollups, usage_member_days FROM keel_app, keel_system;--> statement-breakpoint

-- One lock per tenant between billing a batch of events and closing a period:
-- keel_billing_lock_key (db/functions).

-- The rollups of every statement that inserts usage events, whoever inserts them (the meter's
-- keel_record_usage, the expiry sweep, a backfill): in the same transaction, so they always equal
-- the events. A statement-level trigger sees the inserted rows at once (a transition table, only
-- the rows actually inserted: ON CONFLICT DO NOTHING skips are not in it), so a batch of 500
-- events costs one lock, one lookup and three grouped upserts. Rollup keys are upserted in sorted
-- order, so concurrent batches lock rollup rows in the same order and cannot deadlock.
-- The trigger function is db/functions/keel_roll_up_usage.sql, applied after the versioned
-- migrations; the trigger needs it to exist, so it starts here as a placeholder that does nothing
-- (a new database has no events to roll up until then).
CREATE FUNCTION keel_roll_up_usage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;--> statement-breakpoint
CREATE TRIGGER usage_events_roll_up AFTER INSERT ON usage_events
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION keel_roll_up_usage();--> statement-breakpoint

-- The events recorded before this migration, rolled up the same way (no period is closed yet, so
-- each is billed in its own month). As keel_system: row-level security is forced on these tables.
SET LOCAL ROLE keel_system;--> statement-breakpoint
INSERT INTO usage_rollups (tenant_id, period_start, day, provider, model, feature, requests, errors, partials,
    input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_exact, cache_semantic, fallback_calls, fallbacks, attempts,
    latency_ms_sum, latency_ms_max, latency_buckets, ttft_ms_sum, ttft_count, validation_pass, validation_repaired, validation_failed)
  SELECT e.tenant_id, e.own_period, e.day, e.provider, e.model, e.feature, count(*),
         count(*) FILTER (WHERE e.status = 'error'), count(*) FILTER (WHERE e.status = 'partial'),
         sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd), sum(e.saved_micro_usd),
         count(*) FILTER (WHERE e.cache_status = 'exact'), count(*) FILTER (WHERE e.cache_status = 'semantic'),
         count(*) FILTER (WHERE e.fallback_count > 0), sum(e.fallback_count), sum(e.attempts),
         sum(e.latency_ms), max(e.latency_ms),
         ARRAY[count(*) FILTER (WHERE e.bucket = 0), count(*) FILTER (WHERE e.bucket = 1), count(*) FILTER (WHERE e.bucket = 2),
               count(*) FILTER (WHERE e.bucket = 3), count(*) FILTER (WHERE e.bucket = 4), count(*) FILTER (WHERE e.bucket = 5),
               count(*) FILTER (WHERE e.bucket = 6), count(*) FILTER (WHERE e.bucket = 7), count(*) FILTER (WHERE e.bucket = 8),
               count(*) FILTER (WHERE e.bucket = 9), count(*) FILTER (WHERE e.bucket = 10)]::integer[],
         coalesce(sum(e.time_to_first_token_ms), 0), count(e.time_to_first_token_ms),
         count(*) FILTER (WHERE e.validation = 'pass'), count(*) FILTER (WHERE e.validation = 'repaired'),
         count(*) FILTER (WHERE e.validation = 'failed')
  FROM (SELECT u.*, (u.created_at AT TIME ZONE 'UTC')::date AS day, date_trunc('month', u.created_at AT TIME ZONE 'UTC')::date AS own_period,
               width_bucket(u.latency_ms, ARRAY[100, 250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]) AS bucket
        FROM usage_events u) e
  GROUP BY e.tenant_id, e.own_period, e.day, e.provider, e.model, e.feature;--> statement-breakpoint
INSERT INTO usage_actor_rollups (tenant_id, period_start, user_id, api_key_id, feature, requests, errors,
    input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_hits)
  SELECT e.tenant_id, date_trunc('month', e.created_at AT TIME ZONE 'UTC')::date, e.user_id, e.api_key_id, e.feature,
         count(*), count(*) FILTER (WHERE e.status = 'error'),
         sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd), sum(e.saved_micro_usd),
         count(*) FILTER (WHERE e.cache_status IN ('exact', 'semantic'))
  FROM usage_events e
  GROUP BY e.tenant_id, 2, e.user_id, e.api_key_id, e.feature;--> statement-breakpoint
INSERT INTO usage_member_days (tenant_id, user_id, period_start, day, requests, errors,
    input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_hits)
  SELECT e.tenant_id, e.user_id, date_trunc('month', e.created_at AT TIME ZONE 'UTC')::date, (e.created_at AT TIME ZONE 'UTC')::date,
         count(*), count(*) FILTER (WHERE e.status = 'error'),
         sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd), sum(e.saved_micro_usd),
         count(*) FILTER (WHERE e.cache_status IN ('exact', 'semantic'))
  FROM usage_events e
  WHERE e.user_id IS NOT NULL
  GROUP BY e.tenant_id, e.user_id, 3, 4;--> statement-breakpoint
RESET ROLE;
