-- Observability rollups (lib/observability/metrics). The daily usage_rollups are too coarse for
-- "the error rate now": an alert evaluated every few minutes needs a window of the last hour, not
-- of the UTC day so far (a few calls after midnight). And weekly active users per feature need
-- each day's actors per feature, which no rollup keeps (usage_member_days has no feature,
-- usage_actor_rollups no day). Both are kept by a trigger on usage_events like 0013's, in the
-- inserting statement's transaction, so they always equal the events.
CREATE TABLE "usage_recent_rollups" (
	"tenant_id" uuid NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	"provider" text NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"input_tokens" bigint NOT NULL,
	"output_tokens" bigint NOT NULL,
	"cost_micro_usd" bigint NOT NULL,
	"cache_hits" integer NOT NULL,
	"fallback_calls" integer NOT NULL,
	"latency_ms_max" integer NOT NULL,
	"latency_buckets" integer[] NOT NULL,
	"validation_pass" integer NOT NULL,
	"validation_repaired" integer NOT NULL,
	"validation_failed" integer NOT NULL,
	CONSTRAINT "usage_recent_rollups_pk" PRIMARY KEY("tenant_id","bucket_start","provider")
);--> statement-breakpoint
CREATE TABLE "usage_actor_days" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"feature" text NOT NULL,
	"actor_id" uuid NOT NULL,
	"requests" integer NOT NULL,
	CONSTRAINT "usage_actor_days_pk" PRIMARY KEY("tenant_id","day","feature","actor_id")
);--> statement-breakpoint
ALTER TABLE "usage_recent_rollups" ADD CONSTRAINT "usage_recent_rollups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_actor_days" ADD CONSTRAINT "usage_actor_days_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The platform view reads every tenant's recent buckets and days.
CREATE INDEX "usage_recent_rollups_bucket_idx" ON "usage_recent_rollups" USING btree ("bucket_start");--> statement-breakpoint
CREATE INDEX "usage_actor_days_day_idx" ON "usage_actor_days" USING btree ("day");--> statement-breakpoint
-- The operators' view reads every tenant's recent jobs and answers (queue depth, durations,
-- utilisation, completion, corrections): by time, and the jobs still open by status.
CREATE INDEX "jobs_created_idx" ON "jobs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "jobs_open_idx" ON "jobs" USING btree ("status") WHERE "status" IN ('queued', 'running');--> statement-breakpoint
CREATE INDEX "chat_messages_answers_created_idx" ON "chat_messages" USING btree ("created_at") WHERE "role" = 'assistant';--> statement-breakpoint

ALTER TABLE usage_recent_rollups ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_recent_rollups FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_recent_rollups FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_recent_rollups FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE usage_actor_days ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_actor_days FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_actor_days FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_actor_days FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
-- Written by the trigger below only (as the inserting role), like 0013's rollups.
REVOKE DELETE, TRUNCATE ON usage_recent_rollups, usage_actor_days FROM keel_app, keel_system;--> statement-breakpoint

-- Five-minute buckets per tenant and provider: the last hour is twelve of them, so the window
-- slides every five minutes. An actor is the member, else the API key; a job (neither) is not an
-- active user. Keys are upserted in sorted order so concurrent batches cannot deadlock. This runs
-- after usage_events_roll_up (triggers fire in name order), which already took the tenant's
-- billing lock.
CREATE FUNCTION keel_roll_up_recent_usage() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  WITH events AS (
    SELECT i.*, date_bin('5 minutes', i.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start,
           width_bucket(i.latency_ms, ARRAY[100, 250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]) AS bucket
    FROM inserted i
  ), recent AS (
    INSERT INTO usage_recent_rollups AS r (tenant_id, bucket_start, provider, requests, errors, input_tokens, output_tokens,
        cost_micro_usd, cache_hits, fallback_calls, latency_ms_max, latency_buckets, validation_pass, validation_repaired, validation_failed)
    SELECT e.tenant_id, e.bucket_start, e.provider, count(*), count(*) FILTER (WHERE e.status = 'error'),
           sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd),
           count(*) FILTER (WHERE e.cache_status IN ('exact', 'semantic')), count(*) FILTER (WHERE e.fallback_count > 0),
           max(e.latency_ms),
           ARRAY[count(*) FILTER (WHERE e.bucket = 0), count(*) FILTER (WHERE e.bucket = 1), count(*) FILTER (WHERE e.bucket = 2),
                 count(*) FILTER (WHERE e.bucket = 3), count(*) FILTER (WHERE e.bucket = 4), count(*) FILTER (WHERE e.bucket = 5),
                 count(*) FILTER (WHERE e.bucket = 6), count(*) FILTER (WHERE e.bucket = 7), count(*) FILTER (WHERE e.bucket = 8),
                 count(*) FILTER (WHERE e.bucket = 9), count(*) FILTER (WHERE e.bucket = 10)]::integer[],
           count(*) FILTER (WHERE e.validation = 'pass'), count(*) FILTER (WHERE e.validation = 'repaired'),
           count(*) FILTER (WHERE e.validation = 'failed')
    FROM events e
    GROUP BY e.tenant_id, e.bucket_start, e.provider
    ORDER BY e.tenant_id, e.bucket_start, e.provider
    ON CONFLICT (tenant_id, bucket_start, provider) DO UPDATE SET
      requests = r.requests + excluded.requests, errors = r.errors + excluded.errors,
      input_tokens = r.input_tokens + excluded.input_tokens, output_tokens = r.output_tokens + excluded.output_tokens,
      cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd, cache_hits = r.cache_hits + excluded.cache_hits,
      fallback_calls = r.fallback_calls + excluded.fallback_calls, latency_ms_max = greatest(r.latency_ms_max, excluded.latency_ms_max),
      latency_buckets = ARRAY(SELECT u.a + u.b FROM unnest(r.latency_buckets, excluded.latency_buckets) WITH ORDINALITY AS u(a, b, n) ORDER BY u.n),
      validation_pass = r.validation_pass + excluded.validation_pass, validation_repaired = r.validation_repaired + excluded.validation_repaired,
      validation_failed = r.validation_failed + excluded.validation_failed
  )
  INSERT INTO usage_actor_days AS d (tenant_id, day, feature, actor_id, requests)
  SELECT e.tenant_id, (e.created_at AT TIME ZONE 'UTC')::date, e.feature, coalesce(e.user_id, e.api_key_id), count(*)
  FROM events e
  WHERE coalesce(e.user_id, e.api_key_id) IS NOT NULL
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, day, feature, actor_id) DO UPDATE SET requests = d.requests + excluded.requests;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER usage_events_roll_up_recent AFTER INSERT ON usage_events
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION keel_roll_up_recent_usage();--> statement-breakpoint

-- The events recorded before this migration, rolled up the same way (as keel_system: row-level
-- security is forced on these tables).
SET LOCAL ROLE keel_system;--> statement-breakpoint
INSERT INTO usage_recent_rollups (tenant_id, bucket_start, provider, requests, errors, input_tokens, output_tokens,
    cost_micro_usd, cache_hits, fallback_calls, latency_ms_max, latency_buckets, validation_pass, validation_repaired, validation_failed)
  SELECT e.tenant_id, e.bucket_start, e.provider, count(*), count(*) FILTER (WHERE e.status = 'error'),
         sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd),
         count(*) FILTER (WHERE e.cache_status IN ('exact', 'semantic')), count(*) FILTER (WHERE e.fallback_count > 0),
         max(e.latency_ms),
         ARRAY[count(*) FILTER (WHERE e.bucket = 0), count(*) FILTER (WHERE e.bucket = 1), count(*) FILTER (WHERE e.bucket = 2),
               count(*) FILTER (WHERE e.bucket = 3), count(*) FILTER (WHERE e.bucket = 4), count(*) FILTER (WHERE e.bucket = 5),
               count(*) FILTER (WHERE e.bucket = 6), count(*) FILTER (WHERE e.bucket = 7), count(*) FILTER (WHERE e.bucket = 8),
               count(*) FILTER (WHERE e.bucket = 9), count(*) FILTER (WHERE e.bucket = 10)]::integer[],
         count(*) FILTER (WHERE e.validation = 'pass'), count(*) FILTER (WHERE e.validation = 'repaired'),
         count(*) FILTER (WHERE e.validation = 'failed')
  FROM (SELECT u.*, date_bin('5 minutes', u.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start,
               width_bucket(u.latency_ms, ARRAY[100, 250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]) AS bucket
        FROM usage_events u) e
  GROUP BY e.tenant_id, e.bucket_start, e.provider;--> statement-breakpoint
INSERT INTO usage_actor_days (tenant_id, day, feature, actor_id, requests)
  SELECT e.tenant_id, (e.created_at AT TIME ZONE 'UTC')::date, e.feature, coalesce(e.user_id, e.api_key_id), count(*)
  FROM usage_events e
  WHERE coalesce(e.user_id, e.api_key_id) IS NOT NULL
  GROUP BY 1, 2, 3, 4;--> statement-breakpoint
RESET ROLE;
