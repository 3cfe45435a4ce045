-- Trigger usage_events_roll_up (migration 0013): the rollups of every statement that inserts usage
-- events, whoever inserts them (the meter's keel_record_usage, the expiry sweep, a backfill), in
-- the same transaction, so they always equal the events. A statement-level trigger sees the
-- inserted rows at once (a transition table, only the rows actually inserted: ON CONFLICT DO
-- NOTHING skips are not in it), so a batch of 500 events costs one lock, one lookup and three
-- grouped upserts. Rollup keys are upserted in sorted order, so concurrent batches lock rollup
-- rows in the same order and cannot deadlock.
CREATE OR REPLACE FUNCTION public.keel_roll_up_usage()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7204113, keel_billing_lock_key(t.tenant_id))
    FROM (SELECT DISTINCT i.tenant_id FROM inserted i ORDER BY i.tenant_id) t;

  WITH closed AS MATERIALIZED (
    SELECT t.tenant_id, (SELECT max(b.period_start) FROM billing_periods b WHERE b.tenant_id = t.tenant_id) AS through
    FROM (SELECT DISTINCT i.tenant_id FROM inserted i) t
  ), events AS (
    SELECT i.*, (i.created_at AT TIME ZONE 'UTC')::date AS day,
           date_trunc('month', i.created_at AT TIME ZONE 'UTC')::date AS own_period,
           width_bucket(i.latency_ms, ARRAY[100, 250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]) AS bucket
    FROM inserted i
  ), billed AS (
    -- A late event (its own month already closed) is billed in the first open period.
    SELECT e.*, CASE WHEN c.through IS NOT NULL AND e.own_period <= c.through
                     THEN (c.through + interval '1 month')::date ELSE e.own_period END AS period_start
    FROM events e JOIN closed c ON c.tenant_id = e.tenant_id
  ), late AS (
    INSERT INTO usage_late_events (event_id, tenant_id, period_start, own_period)
    SELECT b.id, b.tenant_id, b.period_start, b.own_period FROM billed b WHERE b.period_start <> b.own_period
  ), by_model AS (
    INSERT INTO usage_rollups AS r (tenant_id, period_start, day, provider, model, feature, requests, errors, partials,
        input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_exact, cache_semantic, fallback_calls, fallbacks, attempts,
        latency_ms_sum, latency_ms_max, latency_buckets, ttft_ms_sum, ttft_count, validation_pass, validation_repaired, validation_failed)
    SELECT b.tenant_id, b.period_start, b.day, b.provider, b.model, b.feature, count(*),
           count(*) FILTER (WHERE b.status = 'error'), count(*) FILTER (WHERE b.status = 'partial'),
           sum(b.input_tokens), sum(b.output_tokens), sum(b.cost_micro_usd), sum(b.saved_micro_usd),
           count(*) FILTER (WHERE b.cache_status = 'exact'), count(*) FILTER (WHERE b.cache_status = 'semantic'),
           count(*) FILTER (WHERE b.fallback_count > 0), sum(b.fallback_count), sum(b.attempts),
           sum(b.latency_ms), max(b.latency_ms),
           ARRAY[count(*) FILTER (WHERE b.bucket = 0), count(*) FILTER (WHERE b.bucket = 1), count(*) FILTER (WHERE b.bucket = 2),
                 count(*) FILTER (WHERE b.bucket = 3), count(*) FILTER (WHERE b.bucket = 4), count(*) FILTER (WHERE b.bucket = 5),
                 count(*) FILTER (WHERE b.bucket = 6), count(*) FILTER (WHERE b.bucket = 7), count(*) FILTER (WHERE b.bucket = 8),
                 count(*) FILTER (WHERE b.bucket = 9), count(*) FILTER (WHERE b.bucket = 10)]::integer[],
           coalesce(sum(b.time_to_first_token_ms), 0), count(b.time_to_first_token_ms),
           count(*) FILTER (WHERE b.validation = 'pass'), count(*) FILTER (WHERE b.validation = 'repaired'),
           count(*) FILTER (WHERE b.validation = 'failed')
    FROM billed b
    GROUP BY b.tenant_id, b.period_start, b.day, b.provider, b.model, b.feature
    ORDER BY b.tenant_id, b.period_start, b.day, b.provider, b.model, b.feature
    ON CONFLICT (tenant_id, period_start, day, provider, model, feature) DO UPDATE SET
      requests = r.requests + excluded.requests, errors = r.errors + excluded.errors, partials = r.partials + excluded.partials,
      input_tokens = r.input_tokens + excluded.input_tokens, output_tokens = r.output_tokens + excluded.output_tokens,
      cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd, saved_micro_usd = r.saved_micro_usd + excluded.saved_micro_usd,
      cache_exact = r.cache_exact + excluded.cache_exact, cache_semantic = r.cache_semantic + excluded.cache_semantic,
      fallback_calls = r.fallback_calls + excluded.fallback_calls, fallbacks = r.fallbacks + excluded.fallbacks,
      attempts = r.attempts + excluded.attempts, latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum,
      latency_ms_max = greatest(r.latency_ms_max, excluded.latency_ms_max),
      latency_buckets = ARRAY(SELECT u.a + u.b FROM unnest(r.latency_buckets, excluded.latency_buckets) WITH ORDINALITY AS u(a, b, n) ORDER BY u.n),
      ttft_ms_sum = r.ttft_ms_sum + excluded.ttft_ms_sum, ttft_count = r.ttft_count + excluded.ttft_count,
      validation_pass = r.validation_pass + excluded.validation_pass, validation_repaired = r.validation_repaired + excluded.validation_repaired,
      validation_failed = r.validation_failed + excluded.validation_failed
  ), by_actor AS (
    INSERT INTO usage_actor_rollups AS a (tenant_id, period_start, user_id, api_key_id, feature, requests, errors,
        input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_hits)
    SELECT b.tenant_id, b.period_start, b.user_id, b.api_key_id, b.feature, count(*), count(*) FILTER (WHERE b.status = 'error'),
           sum(b.input_tokens), sum(b.output_tokens), sum(b.cost_micro_usd), sum(b.saved_micro_usd),
           count(*) FILTER (WHERE b.cache_status IN ('exact', 'semantic'))
    FROM billed b
    GROUP BY b.tenant_id, b.period_start, b.user_id, b.api_key_id, b.feature
    ORDER BY b.tenant_id, b.period_start, b.user_id, b.api_key_id, b.feature
    ON CONFLICT (tenant_id, period_start, user_id, api_key_id, feature) DO UPDATE SET
      requests = a.requests + excluded.requests, errors = a.errors + excluded.errors,
      input_tokens = a.input_tokens + excluded.input_tokens, output_tokens = a.output_tokens + excluded.output_tokens,
      cost_micro_usd = a.cost_micro_usd + excluded.cost_micro_usd, saved_micro_usd = a.saved_micro_usd + excluded.saved_micro_usd,
      cache_hits = a.cache_hits + excluded.cache_hits
  )
  INSERT INTO usage_member_days AS m (tenant_id, user_id, period_start, day, requests, errors,
      input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, cache_hits)
  SELECT b.tenant_id, b.user_id, b.period_start, b.day, count(*), count(*) FILTER (WHERE b.status = 'error'),
         sum(b.input_tokens), sum(b.output_tokens), sum(b.cost_micro_usd), sum(b.saved_micro_usd),
         count(*) FILTER (WHERE b.cache_status IN ('exact', 'semantic'))
  FROM billed b
  WHERE b.user_id IS NOT NULL
  GROUP BY b.tenant_id, b.user_id, b.period_start, b.day
  ORDER BY b.tenant_id, b.user_id, b.period_start, b.day
  ON CONFLICT (tenant_id, user_id, period_start, day) DO UPDATE SET
    requests = m.requests + excluded.requests, errors = m.errors + excluded.errors,
    input_tokens = m.input_tokens + excluded.input_tokens, output_tokens = m.output_tokens + excluded.output_tokens,
    cost_micro_usd = m.cost_micro_usd + excluded.cost_micro_usd, saved_micro_usd = m.saved_micro_usd + excluded.saved_micro_usd,
    cache_hits = m.cache_hits + excluded.cache_hits;
  RETURN NULL;
END $function$;
