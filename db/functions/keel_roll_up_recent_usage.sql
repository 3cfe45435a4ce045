-- Trigger usage_events_roll_up_recent (migration 0015). Usage events: five-minute and daily sums per
-- provider, then actor days and weekly actives. An actor is the member, else the API key; a job
-- (neither) is nobody. Keys are upserted in sorted order so concurrent batches cannot deadlock.
-- This runs after usage_events_roll_up (triggers fire in name order), which already took the
-- tenant's billing lock (shared).
--
-- Weekly actives: an actor counts at end day E when active on some day in [E-6, E]. A new actor
-- day D (first call of that actor, feature and day) adds the actor to each E in [D, D+6] that no
-- earlier actor day already covered, checked against the rows as they were before this statement
-- (its own inserts are invisible to it, which is what makes several new days in one batch count
-- once). Two transactions adding days of the same actor would each miss the other's, so each
-- first takes a transaction lock per actor that brings a day not stored yet (in lock-key order: no
-- deadlock), and the statement after it sees what the other committed. An actor day once stored
-- stays, so the usual batch (actors already seen today) takes no lock and only probes the index.
CREATE OR REPLACE FUNCTION public.keel_roll_up_recent_usage()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM pg_advisory_xact_lock(7204114, l.lock_key)
    FROM (SELECT DISTINCT hashtext(x.tenant_id::text || x.actor_id::text) AS lock_key
          FROM (SELECT DISTINCT i.tenant_id, i.feature, coalesce(i.user_id, i.api_key_id) AS actor_id, (i.created_at AT TIME ZONE 'UTC')::date AS day
                FROM inserted i WHERE coalesce(i.user_id, i.api_key_id) IS NOT NULL) x
          WHERE NOT EXISTS (SELECT 1 FROM usage_actor_days o WHERE o.tenant_id = x.tenant_id AND o.feature = x.feature AND o.actor_id = x.actor_id AND o.day = x.day)
             OR NOT EXISTS (SELECT 1 FROM usage_actor_days o WHERE o.tenant_id = x.tenant_id AND o.feature = '*' AND o.actor_id = x.actor_id AND o.day = x.day)
          ORDER BY 1) l;

  WITH events AS (
    SELECT i.*, date_bin('5 minutes', i.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start,
           (i.created_at AT TIME ZONE 'UTC')::date AS day, width_bucket(i.latency_ms, ARRAY[100, 250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]) AS bucket
    FROM inserted i
  ), recent AS (
    INSERT INTO usage_recent_rollups AS r (tenant_id, bucket_start, provider, requests, errors, input_tokens, output_tokens, cost_micro_usd, cache_hits, fallback_calls, latency_ms_max, latency_buckets, validation_pass, validation_repaired, validation_failed)
    SELECT e.tenant_id, e.bucket_start, e.provider, count(*), count(*) FILTER (WHERE e.status = 'error'),
           sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd),
           count(*) FILTER (WHERE e.cache_status IN ('exact', 'semantic')), count(*) FILTER (WHERE e.fallback_count > 0),
           max(e.latency_ms),
           ARRAY[count(*) FILTER (WHERE e.bucket = 0), count(*) FILTER (WHERE e.bucket = 1), count(*) FILTER (WHERE e.bucket = 2), count(*) FILTER (WHERE e.bucket = 3), count(*) FILTER (WHERE e.bucket = 4), count(*) FILTER (WHERE e.bucket = 5), count(*) FILTER (WHERE e.bucket = 6), count(*) FILTER (WHERE e.bucket = 7), count(*) FILTER (WHERE e.bucket = 8), count(*) FILTER (WHERE e.bucket = 9), count(*) FILTER (WHERE e.bucket = 10)]::integer[],
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
  ), daily AS (
    INSERT INTO usage_provider_days AS p (tenant_id, day, provider, requests, errors, input_tokens, output_tokens, cost_micro_usd, cache_hits, fallback_calls, latency_ms_max, latency_buckets, validation_pass, validation_repaired, validation_failed)
    SELECT e.tenant_id, e.day, e.provider, count(*), count(*) FILTER (WHERE e.status = 'error'),
           sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micro_usd),
           count(*) FILTER (WHERE e.cache_status IN ('exact', 'semantic')), count(*) FILTER (WHERE e.fallback_count > 0),
           max(e.latency_ms),
           ARRAY[count(*) FILTER (WHERE e.bucket = 0), count(*) FILTER (WHERE e.bucket = 1), count(*) FILTER (WHERE e.bucket = 2), count(*) FILTER (WHERE e.bucket = 3), count(*) FILTER (WHERE e.bucket = 4), count(*) FILTER (WHERE e.bucket = 5), count(*) FILTER (WHERE e.bucket = 6), count(*) FILTER (WHERE e.bucket = 7), count(*) FILTER (WHERE e.bucket = 8), count(*) FILTER (WHERE e.bucket = 9), count(*) FILTER (WHERE e.bucket = 10)]::integer[],
           count(*) FILTER (WHERE e.validation = 'pass'), count(*) FILTER (WHERE e.validation = 'repaired'),
           count(*) FILTER (WHERE e.validation = 'failed')
    FROM events e
    GROUP BY e.tenant_id, e.day, e.provider
    ORDER BY e.tenant_id, e.day, e.provider
    ON CONFLICT (tenant_id, day, provider) DO UPDATE SET
      requests = p.requests + excluded.requests, errors = p.errors + excluded.errors,
      input_tokens = p.input_tokens + excluded.input_tokens, output_tokens = p.output_tokens + excluded.output_tokens,
      cost_micro_usd = p.cost_micro_usd + excluded.cost_micro_usd, cache_hits = p.cache_hits + excluded.cache_hits,
      fallback_calls = p.fallback_calls + excluded.fallback_calls, latency_ms_max = greatest(p.latency_ms_max, excluded.latency_ms_max),
      latency_buckets = ARRAY(SELECT u.a + u.b FROM unnest(p.latency_buckets, excluded.latency_buckets) WITH ORDINALITY AS u(a, b, n) ORDER BY u.n),
      validation_pass = p.validation_pass + excluded.validation_pass, validation_repaired = p.validation_repaired + excluded.validation_repaired,
      validation_failed = p.validation_failed + excluded.validation_failed
  ), fresh AS (
    -- Only the actor days not stored yet: inserted, and returned for the weekly counts.
    INSERT INTO usage_actor_days (tenant_id, feature, actor_id, day)
    SELECT DISTINCT x.tenant_id, x.feature, x.actor_id, x.day
    FROM (SELECT e.tenant_id, e.feature, coalesce(e.user_id, e.api_key_id) AS actor_id, e.day FROM events e
          UNION ALL
          SELECT e.tenant_id, '*', coalesce(e.user_id, e.api_key_id), e.day FROM events e) x
    WHERE x.actor_id IS NOT NULL
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (tenant_id, feature, actor_id, day) DO NOTHING
    RETURNING tenant_id, feature, actor_id, day
  ), covered AS (
    SELECT DISTINCT a.tenant_id, a.feature, a.actor_id, a.day + k AS end_day
    FROM fresh a CROSS JOIN generate_series(0, 6) AS k
    WHERE NOT EXISTS (SELECT 1 FROM usage_actor_days o
                      WHERE o.tenant_id = a.tenant_id AND o.feature = a.feature AND o.actor_id = a.actor_id
                        AND o.day BETWEEN a.day + k - 6 AND a.day + k)
  )
  INSERT INTO usage_weekly_actives AS w (tenant_id, end_day, feature, actors)
  SELECT c.tenant_id, c.end_day, c.feature, count(*) FROM covered c
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (tenant_id, end_day, feature) DO UPDATE SET actors = w.actors + excluded.actors;
  RETURN NULL;
END $function$;
