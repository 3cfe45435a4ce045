-- Re-embedding (lib/documents/reembed): what each chunk's vector was computed from, a shadow vector
-- beside the live one for blue/green switches, the provider batches in flight, and the batch price
-- on usage events.

-- The chunk's content_hash when its embedding was computed: a chunk whose text changed since is
-- stale even if its model is current. Vectors stored so far were written by the pipeline, which
-- drops an embedding whenever its chunk's text changes, so they match the text they sit beside.
ALTER TABLE "document_chunks" ADD COLUMN "embedded_hash" text;--> statement-breakpoint
-- Blue/green: a re-embedding writes here, never over the live vector; a document's shadows replace
-- its live vectors in one UPDATE once all of them are in (see lib/documents/reembed/switch-over.ts).
ALTER TABLE "document_chunks" ADD COLUMN "next_embedding" vector(384);--> statement-breakpoint
ALTER TABLE "document_chunks" ADD COLUMN "next_embedding_model" text;--> statement-breakpoint
ALTER TABLE "document_chunks" ADD COLUMN "next_embedded_hash" text;--> statement-breakpoint
CREATE INDEX "document_chunks_shadow_idx" ON "document_chunks" USING btree ("tenant_id","document_id") WHERE "document_chunks"."next_embedding" IS NOT NULL;--> statement-breakpoint
-- As keel_system: row-level security is forced on document_chunks.
SET LOCAL ROLE keel_system;--> statement-breakpoint
UPDATE document_chunks SET embedded_hash = content_hash WHERE embedding IS NOT NULL;--> statement-breakpoint
RESET ROLE;--> statement-breakpoint

-- One provider batch (OpenAI Batch API) of a re-embedding: written before the provider is asked,
-- so a step that dies between creating the batch and remembering it finds it again (by metadata).
CREATE TABLE "embedding_batches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"job_id" uuid,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"status" text DEFAULT 'submitting' NOT NULL,
	"provider_batch_id" text,
	"input_file_id" text,
	"output_file_id" text,
	"request_count" integer NOT NULL,
	"estimated_tokens" bigint NOT NULL,
	"reservation" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "embedding_batches_status_check" CHECK ("status" IN ('submitting', 'submitted', 'applied', 'failed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "embedding_batches" ADD CONSTRAINT "embedding_batches_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "embedding_batches" ADD CONSTRAINT "embedding_batches_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "embedding_batches_tenant_status_idx" ON "embedding_batches" USING btree ("tenant_id","status");--> statement-breakpoint
ALTER TABLE embedding_batches ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE embedding_batches FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON embedding_batches FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON embedding_batches FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint

-- Which price applied to a call: provider batch APIs bill about half the online price.
ALTER TABLE "usage_events" ADD COLUMN "price_tier" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_price_tier_check" CHECK ("price_tier" IN ('standard', 'batch'));--> statement-breakpoint
ALTER TYPE keel_usage_record ADD ATTRIBUTE price_tier text;--> statement-breakpoint
-- As in migration 0007, with the price tier written to each event (null: standard).
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
                              status, error_code, validation, price_tier)
    SELECT p_tenant, r.request_id, r.user_id, r.api_key_id, r.feature, r.role, r.provider, r.model, r.input_tokens, r.output_tokens,
           r.cost_micro_usd, r.saved_micro_usd, r.latency_ms, r.time_to_first_token_ms, r.cache_status, r.fallback_count, r.attempts,
           r.status, r.error_code, r.validation, coalesce(r.price_tier, 'standard')
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
