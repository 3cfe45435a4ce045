-- Observability rollups (lib/observability/metrics), so the page and the alert evaluator read a few
-- hundred rows whatever the number of events, calls and answers:
--   usage_recent_rollups  five-minute buckets per tenant and provider: "the last 60 minutes" (the
--                         daily rollups cannot say what the error rate is now, at 00:05 UTC or at 18:00)
--   usage_provider_days   the same per UTC day: the 14-day charts (usage_rollups has model and feature
--                         too, five times the rows to sum for the platform's view)
--   usage_actor_days      who (member, else API key) used which feature ('*': any) on which day
--   usage_weekly_actives  distinct actors per feature in the 7 days to each day, kept exactly as
--                         actor days arrive (in any order), so weekly active users are a lookup
--   chat_answer_hours     answers ended, completed, answered and corrected per tenant and hour (chat rows are
--                         private to their authors; admins and operators read only these counts)
-- Kept by triggers in the writing statement's transaction, like 0013's rollups, so they always
-- equal their source rows.
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
CREATE TABLE "usage_provider_days" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
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
	CONSTRAINT "usage_provider_days_pk" PRIMARY KEY("tenant_id","day","provider")
);--> statement-breakpoint
CREATE TABLE "usage_actor_days" (
	"tenant_id" uuid NOT NULL,
	"feature" text NOT NULL,
	"actor_id" uuid NOT NULL,
	"day" date NOT NULL,
	CONSTRAINT "usage_actor_days_pk" PRIMARY KEY("tenant_id","feature","actor_id","day")
);--> statement-breakpoint
CREATE TABLE "usage_weekly_actives" (
	"tenant_id" uuid NOT NULL,
	"end_day" date NOT NULL,
	"feature" text NOT NULL,
	"actors" integer NOT NULL,
	CONSTRAINT "usage_weekly_actives_pk" PRIMARY KEY("tenant_id","end_day","feature")
);--> statement-breakpoint
CREATE TABLE "chat_answer_hours" (
	"tenant_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"finished" integer NOT NULL,
	"complete" integer NOT NULL,
	"answered" integer NOT NULL,
	"corrected" integer NOT NULL,
	CONSTRAINT "chat_answer_hours_pk" PRIMARY KEY("tenant_id","hour")
);--> statement-breakpoint
ALTER TABLE "usage_recent_rollups" ADD CONSTRAINT "usage_recent_rollups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_provider_days" ADD CONSTRAINT "usage_provider_days_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_actor_days" ADD CONSTRAINT "usage_actor_days_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_weekly_actives" ADD CONSTRAINT "usage_weekly_actives_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_answer_hours" ADD CONSTRAINT "chat_answer_hours_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The platform view reads every tenant's recent rows.
CREATE INDEX "usage_recent_rollups_bucket_idx" ON "usage_recent_rollups" USING btree ("bucket_start");--> statement-breakpoint
CREATE INDEX "usage_provider_days_day_idx" ON "usage_provider_days" USING btree ("day");--> statement-breakpoint
CREATE INDEX "usage_weekly_actives_end_day_idx" ON "usage_weekly_actives" USING btree ("end_day");--> statement-breakpoint
CREATE INDEX "chat_answer_hours_hour_idx" ON "chat_answer_hours" USING btree ("hour");--> statement-breakpoint
-- And every tenant's recent jobs (queue depth, durations, utilisation, completion): by time, and
-- the jobs still open by status.
CREATE INDEX "jobs_created_idx" ON "jobs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "jobs_open_idx" ON "jobs" USING btree ("status") WHERE "status" IN ('queued', 'running');--> statement-breakpoint

ALTER TABLE usage_recent_rollups ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_recent_rollups FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_recent_rollups FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_recent_rollups FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE usage_provider_days ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_provider_days FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_provider_days FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_provider_days FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE usage_actor_days ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_actor_days FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_actor_days FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_actor_days FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE usage_weekly_actives ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE usage_weekly_actives FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_weekly_actives FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON usage_weekly_actives FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE chat_answer_hours ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE chat_answer_hours FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON chat_answer_hours FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON chat_answer_hours FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
-- Written by the triggers below only (as the writing role), like 0013's rollups.
REVOKE DELETE, TRUNCATE ON usage_recent_rollups, usage_provider_days, usage_actor_days, usage_weekly_actives, chat_answer_hours FROM keel_app, keel_system;--> statement-breakpoint

-- Usage events: five-minute and daily sums per provider, then actor days and weekly actives. An
-- actor is the member, else the API key; a job (neither) is nobody. Keys are upserted in sorted
-- order so concurrent batches cannot deadlock. This runs after usage_events_roll_up (triggers fire
-- in name order), which already took the tenant's billing lock (shared).
--
-- Weekly actives: an actor counts at end day E when active on some day in [E-6, E]. A new actor
-- day D (first call of that actor, feature and day) adds the actor to each E in [D, D+6] that no
-- earlier actor day already covered, checked against the rows as they were before this statement
-- (its own inserts are invisible to it, which is what makes several new days in one batch count
-- once). Two transactions adding days of the same actor would each miss the other's, so each
-- first takes a transaction lock per actor that brings a day not stored yet (in lock-key order: no
-- deadlock), and the statement after it sees what the other committed. An actor day once stored
-- stays, so the usual batch (actors already seen today) takes no lock and only probes the index.
-- The trigger functions are db/functions/keel_roll_up_recent_usage.sql and keel_count_answers.sql,
-- applied after the versioned migrations; the triggers need them to exist, so they start here as
-- placeholders that do nothing (a new database has no events or answers to count until then).
CREATE FUNCTION keel_roll_up_recent_usage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;--> statement-breakpoint
CREATE TRIGGER usage_events_roll_up_recent AFTER INSERT ON usage_events
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION keel_roll_up_recent_usage();--> statement-breakpoint

-- Chat answers per tenant and hour (of the answer's creation): an answer counts as finished once it
-- is no longer streaming, complete when complete, answered when complete or stopped by the person
-- (a failure is no answer: lib/chat/feedback-counts.ts counts the same way), corrected when answered
-- and given a thumbs-down or a correction. Each change moves the answer's contribution; a delete (or a cascade) takes it back by
-- UPDATE only, so a tenant being deleted is never inserted into again.
CREATE FUNCTION keel_count_answers() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;--> statement-breakpoint
CREATE TRIGGER chat_messages_count_answers AFTER INSERT OR DELETE OR UPDATE OF status, rating, correction, created_at, role ON chat_messages
  FOR EACH ROW EXECUTE FUNCTION keel_count_answers();--> statement-breakpoint

-- What was stored before this migration, rolled up the same way (as keel_system: row-level
-- security is forced on these tables).
SET LOCAL ROLE keel_system;--> statement-breakpoint
INSERT INTO usage_recent_rollups (tenant_id, bucket_start, provider, requests, errors, input_tokens, output_tokens, cost_micro_usd, cache_hits, fallback_calls, latency_ms_max, latency_buckets, validation_pass, validation_repaired, validation_failed)
  SELECT e.tenant_id, e.bucket_start, e.provider, count(*), count(*) FILTER (WHERE e.status = 'error'),
           sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd),
           count(*) FILTER (WHERE e.cache_status IN ('exact', 'semantic')), count(*) FILTER (WHERE e.fallback_count > 0),
           max(e.latency_ms),
           ARRAY[count(*) FILTER (WHERE e.bucket = 0), count(*) FILTER (WHERE e.bucket = 1), count(*) FILTER (WHERE e.bucket = 2), count(*) FILTER (WHERE e.bucket = 3), count(*) FILTER (WHERE e.bucket = 4), count(*) FILTER (WHERE e.bucket = 5), count(*) FILTER (WHERE e.bucket = 6), count(*) FILTER (WHERE e.bucket = 7), count(*) FILTER (WHERE e.bucket = 8), count(*) FILTER (WHERE e.bucket = 9), count(*) FILTER (WHERE e.bucket = 10)]::integer[],
           count(*) FILTER (WHERE e.validation = 'pass'), count(*) FILTER (WHERE e.validation = 'repaired'),
           count(*) FILTER (WHERE e.validation = 'failed')
  FROM (SELECT u.*, date_bin('5 minutes', u.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start, width_bucket(u.latency_ms, ARRAY[100, 250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]) AS bucket
        FROM usage_events u) e
  GROUP BY e.tenant_id, e.bucket_start, e.provider;--> statement-breakpoint
INSERT INTO usage_provider_days (tenant_id, day, provider, requests, errors, input_tokens, output_tokens, cost_micro_usd, cache_hits, fallback_calls, latency_ms_max, latency_buckets, validation_pass, validation_repaired, validation_failed)
  SELECT e.tenant_id, e.day, e.provider, count(*), count(*) FILTER (WHERE e.status = 'error'),
           sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd),
           count(*) FILTER (WHERE e.cache_status IN ('exact', 'semantic')), count(*) FILTER (WHERE e.fallback_count > 0),
           max(e.latency_ms),
           ARRAY[count(*) FILTER (WHERE e.bucket = 0), count(*) FILTER (WHERE e.bucket = 1), count(*) FILTER (WHERE e.bucket = 2), count(*) FILTER (WHERE e.bucket = 3), count(*) FILTER (WHERE e.bucket = 4), count(*) FILTER (WHERE e.bucket = 5), count(*) FILTER (WHERE e.bucket = 6), count(*) FILTER (WHERE e.bucket = 7), count(*) FILTER (WHERE e.bucket = 8), count(*) FILTER (WHERE e.bucket = 9), count(*) FILTER (WHERE e.bucket = 10)]::integer[],
           count(*) FILTER (WHERE e.validation = 'pass'), count(*) FILTER (WHERE e.validation = 'repaired'),
           count(*) FILTER (WHERE e.validation = 'failed')
  FROM (SELECT u.*, (u.created_at AT TIME ZONE 'UTC')::date AS day, width_bucket(u.latency_ms, ARRAY[100, 250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]) AS bucket FROM usage_events u) e
  GROUP BY e.tenant_id, e.day, e.provider;--> statement-breakpoint
INSERT INTO usage_actor_days (tenant_id, feature, actor_id, day)
  SELECT DISTINCT x.tenant_id, x.feature, x.actor_id, x.day
  FROM (SELECT e.tenant_id, e.feature, coalesce(e.user_id, e.api_key_id) AS actor_id, (e.created_at AT TIME ZONE 'UTC')::date AS day FROM usage_events e
        UNION ALL
        SELECT e.tenant_id, '*', coalesce(e.user_id, e.api_key_id), (e.created_at AT TIME ZONE 'UTC')::date FROM usage_events e) x
  WHERE x.actor_id IS NOT NULL;--> statement-breakpoint
-- Each actor day covers the end days from itself (or a week after the actor's previous day) to six days on.
INSERT INTO usage_weekly_actives (tenant_id, end_day, feature, actors)
  SELECT m.tenant_id, m.day + k, m.feature, count(*)
  FROM (SELECT d.tenant_id, d.feature, d.day, lag(d.day) OVER (PARTITION BY d.tenant_id, d.feature, d.actor_id ORDER BY d.day) AS previous
        FROM usage_actor_days d) m
  CROSS JOIN LATERAL generate_series(greatest(0, coalesce(m.previous + 7 - m.day, 0)), 6) AS k
  GROUP BY 1, 2, 3;--> statement-breakpoint
INSERT INTO chat_answer_hours (tenant_id, hour, finished, complete, answered, corrected)
  SELECT m.tenant_id, date_trunc('hour', m.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
         count(*) FILTER (WHERE m.status <> 'streaming'), count(*) FILTER (WHERE m.status = 'complete'),
         count(*) FILTER (WHERE m.status IN ('complete', 'stopped')),
         count(*) FILTER (WHERE m.status IN ('complete', 'stopped') AND (m.rating = -1 OR m.correction IS NOT NULL))
  FROM chat_messages m
  WHERE m.role = 'assistant'
  GROUP BY 1, 2;--> statement-breakpoint
RESET ROLE;
