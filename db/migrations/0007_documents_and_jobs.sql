CREATE TYPE "public"."document_kind" AS ENUM('pdf', 'docx', 'markdown', 'text', 'html');--> statement-breakpoint
CREATE TYPE "public"."document_status" AS ENUM('queued', 'processing', 'ready', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."job_status" AS ENUM('queued', 'running', 'succeeded', 'failed', 'cancelled');--> statement-breakpoint
CREATE TABLE "collections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "document_chunks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"collection_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"chunk_index" integer NOT NULL,
	"content" text NOT NULL,
	"heading" text,
	"page_start" integer,
	"page_end" integer,
	"token_count" integer NOT NULL,
	"content_hash" text NOT NULL,
	"embedding" vector(384),
	"embedding_model" text,
	"active" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"collection_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" "document_kind" NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"storage_key" text NOT NULL,
	"status" "document_status" DEFAULT 'queued' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"active_version" integer,
	"page_count" integer,
	"language" text,
	"token_count" integer,
	"chunk_count" integer,
	"analysis" jsonb,
	"error" text,
	"error_code" text,
	"uploaded_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"analyzed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "job_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"job_id" uuid NOT NULL,
	"status" "job_status" NOT NULL,
	"stage" text NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"document_id" uuid,
	"status" "job_status" DEFAULT 'queued' NOT NULL,
	"stage" text DEFAULT 'queued' NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"message" text,
	"error" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"body" text,
	"link" text,
	"read_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "collections" ADD CONSTRAINT "collections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collections" ADD CONSTRAINT "collections_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_chunks" ADD CONSTRAINT "document_chunks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_chunks" ADD CONSTRAINT "document_chunks_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "collections_tenant_name_idx" ON "collections" USING btree ("tenant_id",lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "collections_one_default_idx" ON "collections" USING btree ("tenant_id") WHERE "collections"."is_default";--> statement-breakpoint
CREATE UNIQUE INDEX "document_chunks_version_idx" ON "document_chunks" USING btree ("document_id","version","chunk_index");--> statement-breakpoint
CREATE INDEX "document_chunks_tenant_collection_idx" ON "document_chunks" USING btree ("tenant_id","collection_id") WHERE "document_chunks"."active";--> statement-breakpoint
CREATE INDEX "document_chunks_embedding_idx" ON "document_chunks" USING hnsw ("embedding" vector_cosine_ops);--> statement-breakpoint
CREATE INDEX "documents_tenant_created_idx" ON "documents" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "documents_collection_idx" ON "documents" USING btree ("collection_id");--> statement-breakpoint
CREATE INDEX "job_events_job_idx" ON "job_events" USING btree ("job_id","created_at");--> statement-breakpoint
CREATE INDEX "jobs_tenant_created_idx" ON "jobs" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "jobs_document_idx" ON "jobs" USING btree ("document_id");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("tenant_id","user_id","created_at");--> statement-breakpoint
-- Row-level security: the same two policies as every tenant-owned table, and for notifications a
-- stricter one: a person sees and marks only their own (anyone in the tenant's scope may create one).
ALTER TABLE collections ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE collections FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON collections FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON collections FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE documents FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON documents FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON documents FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE document_chunks ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE document_chunks FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON document_chunks FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON document_chunks FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON jobs FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON jobs FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE job_events ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE job_events FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON job_events FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON job_events FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_insert ON notifications FOR INSERT TO keel_app WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY own_notifications ON notifications FOR SELECT TO keel_app
  USING (tenant_id = keel_current_tenant() AND user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY own_notifications_update ON notifications FOR UPDATE TO keel_app
  USING (tenant_id = keel_current_tenant() AND user_id = keel_current_user())
  WITH CHECK (tenant_id = keel_current_tenant() AND user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY own_notifications_delete ON notifications FOR DELETE TO keel_app
  USING (tenant_id = keel_current_tenant() AND user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON notifications FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint

-- Every tenant gets its default collection (new tenants get one at sign-up). As keel_system: row-
-- level security is forced on tenants, so a migrating role that is not a superuser would see none.
SET LOCAL ROLE keel_system;--> statement-breakpoint
INSERT INTO collections (tenant_id, name, is_default) SELECT id, 'General', true FROM tenants
  ON CONFLICT DO NOTHING;--> statement-breakpoint
RESET ROLE;--> statement-breakpoint

-- Cached answers remember the retrieved chunks they were built on, so deleting a document (or a
-- collection) can drop every cached answer that cites it.
ALTER TABLE ai_exact_cache ADD COLUMN context_chunk_ids uuid[];--> statement-breakpoint
ALTER TABLE ai_semantic_cache ADD COLUMN context_chunk_ids uuid[];--> statement-breakpoint
CREATE INDEX ai_exact_cache_context_idx ON ai_exact_cache USING gin (context_chunk_ids) WHERE context_chunk_ids IS NOT NULL;--> statement-breakpoint
CREATE INDEX ai_semantic_cache_context_idx ON ai_semantic_cache USING gin (context_chunk_ids) WHERE context_chunk_ids IS NOT NULL;--> statement-breakpoint
ALTER TYPE keel_usage_record ADD ATTRIBUTE context_chunk_ids uuid[];--> statement-breakpoint
CREATE OR REPLACE FUNCTION keel_record_usage(p_tenant uuid, p_day date, p_records jsonb)
RETURNS TABLE (soft_limit text, message text, webhook_url text)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_records keel_usage_record[];
  v_fresh text[];
  v_period record;
  v_crossed text;
  v_message text;
BEGIN
  PERFORM keel_enter_tenant(p_tenant, NULL);
  -- Parsed once; every statement below reads the batch from here.
  v_records := ARRAY(SELECT r FROM jsonb_populate_recordset(NULL::keel_usage_record, p_records) r);

  -- Lock order, the same as keel_admit's (and so no deadlock with it, or with a batch of the same
  -- tenant from another process): the quota period rows first, then member rows, each sorted.
  PERFORM 1 FROM quota_periods q
    WHERE q.tenant_id = p_tenant
      AND q.period_start IN (SELECT r.period_start FROM unnest(v_records) r WHERE r.reservation_id IS NOT NULL)
    ORDER BY q.period_start FOR NO KEY UPDATE;
  PERFORM 1 FROM member_quota_periods m
    WHERE m.tenant_id = p_tenant
      AND (m.user_id, m.period_start) IN (
        SELECT r.user_id, r.period_start FROM unnest(v_records) r
        WHERE r.member_charged AND r.user_id IS NOT NULL AND r.reservation_id IS NOT NULL)
    ORDER BY m.user_id, m.period_start FOR NO KEY UPDATE;

  -- Events and their daily rollup in one statement: the rollup counts exactly the inserted events.
  -- Sorted rollup keys: concurrent batches lock rollup rows in the same order, so cannot deadlock.
  WITH inserted AS (
    INSERT INTO usage_events (tenant_id, request_id, user_id, api_key_id, feature, role, provider, model, input_tokens, output_tokens,
                              cost_micro_usd, saved_micro_usd, latency_ms, time_to_first_token_ms, cache_status, fallback_count, attempts,
                              status, error_code, validation)
    SELECT p_tenant, r.request_id, r.user_id, r.api_key_id, r.feature, r.role, r.provider, r.model, r.input_tokens, r.output_tokens,
           r.cost_micro_usd, r.saved_micro_usd, r.latency_ms, r.time_to_first_token_ms, r.cache_status, r.fallback_count, r.attempts,
           r.status, r.error_code, r.validation
    FROM unnest(v_records) r WHERE r.first
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING request_id, provider, model, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_status, status
  ), rolled_up AS (
    INSERT INTO usage_daily AS d (tenant_id, day, provider, model, requests, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_hits, errors)
    SELECT p_tenant, p_day, i.provider, i.model, count(*), sum(i.input_tokens), sum(i.output_tokens), sum(i.cost_micro_usd), sum(i.saved_micro_usd),
           count(*) FILTER (WHERE i.cache_status IN ('exact', 'semantic')), count(*) FILTER (WHERE i.status = 'error')
    FROM inserted i GROUP BY i.provider, i.model ORDER BY i.provider, i.model
    ON CONFLICT (tenant_id, day, provider, model) DO UPDATE SET
      requests = d.requests + excluded.requests, input_tokens = d.input_tokens + excluded.input_tokens,
      output_tokens = d.output_tokens + excluded.output_tokens, cost_micro_usd = d.cost_micro_usd + excluded.cost_micro_usd,
      saved_micro_usd = d.saved_micro_usd + excluded.saved_micro_usd, cache_hits = d.cache_hits + excluded.cache_hits, errors = d.errors + excluded.errors
  )
  -- A data-modifying CTE always runs to completion, read or not: rolled_up needs no reader.
  SELECT coalesce(array_agg(i.request_id), '{}') INTO v_fresh FROM inserted i;

  -- Member caps first: they read the reservations that the settlement below deletes.
  UPDATE member_quota_periods m SET
      reserved_tokens = greatest(0, m.reserved_tokens - s.reserved), used_tokens = m.used_tokens + s.spent
    FROM (
      SELECT r.user_id, r.period_start, coalesce(sum(qr.tokens), 0) AS reserved,
             coalesce(sum(r.input_tokens + r.output_tokens) FILTER (WHERE r.first AND r.request_id = ANY (v_fresh)), 0) AS spent
      FROM unnest(v_records) r
      LEFT JOIN quota_reservations qr ON qr.id = r.reservation_id
      WHERE r.member_charged AND r.user_id IS NOT NULL AND r.reservation_id IS NOT NULL
      GROUP BY r.user_id, r.period_start
    ) s
    WHERE m.tenant_id = p_tenant AND m.user_id = s.user_id AND m.period_start = s.period_start;

  -- Swap reservations for actual spend. Deleting a reservation row is the once-only gate:
  -- settling again, or after the sweep released it, subtracts nothing.
  FOR v_period IN
    WITH recs AS (
      SELECT r.* FROM unnest(v_records) r WHERE r.reservation_id IS NOT NULL
    ), released AS (
      DELETE FROM quota_reservations qr WHERE qr.id IN (SELECT reservation_id FROM recs) RETURNING qr.period_start, qr.tokens, qr.micro_usd
    ), per_period AS (
      SELECT p.period_start,
             coalesce((SELECT sum(x.tokens) FROM released x WHERE x.period_start = p.period_start), 0) AS released_tokens,
             coalesce((SELECT sum(x.micro_usd) FROM released x WHERE x.period_start = p.period_start), 0) AS released_micro_usd,
             coalesce(sum(p.input_tokens + p.output_tokens) FILTER (WHERE p.first AND p.request_id = ANY (v_fresh)), 0) AS spent_tokens,
             coalesce(sum(p.cost_micro_usd) FILTER (WHERE p.first AND p.request_id = ANY (v_fresh)), 0) AS spent_micro_usd
      FROM recs p GROUP BY p.period_start
    )
    UPDATE quota_periods q SET
        reserved_tokens = q.reserved_tokens - pp.released_tokens, reserved_micro_usd = q.reserved_micro_usd - pp.released_micro_usd,
        used_tokens = q.used_tokens + pp.spent_tokens, used_micro_usd = q.used_micro_usd + pp.spent_micro_usd
      FROM per_period pp
      WHERE q.tenant_id = p_tenant AND q.period_start = pp.period_start
      RETURNING q.period_start, q.token_limit, q.micro_usd_limit, q.used_tokens, q.used_micro_usd, q.soft_limit_percent, q.soft_warned_at
  LOOP
    CONTINUE WHEN v_period.soft_warned_at IS NOT NULL;
    v_crossed := CASE
      WHEN v_period.token_limit IS NOT NULL AND v_period.used_tokens >= v_period.token_limit * v_period.soft_limit_percent / 100.0 THEN 'tokens'
      WHEN v_period.micro_usd_limit IS NOT NULL AND v_period.used_micro_usd >= v_period.micro_usd_limit * v_period.soft_limit_percent / 100.0 THEN 'usd'
    END;
    CONTINUE WHEN v_crossed IS NULL;
    -- Once per period, whichever batch (in whichever process) gets here first.
    UPDATE quota_periods SET soft_warned_at = now()
      WHERE tenant_id = p_tenant AND period_start = v_period.period_start AND soft_warned_at IS NULL;
    CONTINUE WHEN NOT FOUND;
    v_message := format(CASE v_crossed WHEN 'tokens' THEN 'This workspace has used %s%% of its monthly AI token allowance.'
                                       ELSE 'This workspace has used %s%% of its monthly AI spending limit.' END, v_period.soft_limit_percent);
    INSERT INTO tenant_notices (tenant_id, kind, message) VALUES (p_tenant, 'quota.soft_limit', v_message);
    -- Every process drops its cached tenant profile (db/invalidation.ts): a tenant that asked to
    -- be downgraded at the soft limit is, from its next call on.
    PERFORM pg_notify('keel_invalidate', 'tenant_profile:' || p_tenant::text);
    RETURN QUERY SELECT v_crossed, v_message, (SELECT s.warning_webhook_url FROM tenant_ai_settings s WHERE s.tenant_id = p_tenant);
  END LOOP;

  -- Only complete, successful, first-time answers are worth replaying.
  INSERT INTO ai_exact_cache AS c (tenant_id, key, completion, expires_at, context_chunk_ids)
    SELECT DISTINCT ON (r.exact_key) p_tenant, r.exact_key, r.completion, now() + make_interval(secs => r.exact_ttl_seconds), r.context_chunk_ids
    FROM unnest(v_records) r
    WHERE r.exact_key IS NOT NULL AND r.completion IS NOT NULL AND r.status = 'ok' AND r.first AND r.request_id = ANY (v_fresh)
    ORDER BY r.exact_key
    ON CONFLICT (tenant_id, key) DO UPDATE SET completion = excluded.completion, created_at = now(), expires_at = excluded.expires_at,
      context_chunk_ids = excluded.context_chunk_ids;

  INSERT INTO ai_semantic_cache (tenant_id, scope_key, embedding, completion, expires_at, context_chunk_ids)
    SELECT p_tenant, r.scope_key, r.embedding, r.completion, now() + make_interval(secs => r.semantic_ttl_seconds), r.context_chunk_ids
    FROM unnest(v_records) r
    WHERE r.embedding IS NOT NULL AND r.completion IS NOT NULL AND r.status = 'ok' AND r.first AND r.request_id = ANY (v_fresh);
END $$;
