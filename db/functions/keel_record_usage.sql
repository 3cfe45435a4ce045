-- The meter's batch of one tenant's calls in one round trip: events (their rollups kept by the
-- triggers on usage_events), settlement of reservations, the soft-limit warning and cache writes.
-- p_records is a JSON array of keel_usage_record (lib/ai/meter/records.ts, toUsageRow; a test ties
-- the two). `first` is false for a repeat of a request id earlier in the same batch: its
-- reservation is released, its spend not counted. Idempotent on request ids: a replayed call (or a
-- retried batch) inserts no event, so it adds no spend or cache write. Returns one row when this
-- batch crossed the soft limit for the first time in the period.
CREATE OR REPLACE FUNCTION public.keel_record_usage(p_tenant uuid, p_records jsonb)
 RETURNS TABLE(soft_limit text, message text, webhook_url text)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  v_records keel_usage_record[];
  v_fresh text[];
  v_released jsonb;
  v_period record;
  v_crossed text;
  v_message text;
BEGIN
  PERFORM keel_enter_tenant(p_tenant, NULL);
  -- Parsed once; every statement below reads the batch from here.
  v_records := ARRAY(SELECT r FROM jsonb_populate_recordset(NULL::keel_usage_record, p_records) r);

  -- Everything that does not touch the tenant's quota rows comes first, so those hot rows (every
  -- admission of the tenant updates them) stay locked only for the settlement and the commit,
  -- not for the events, their rollup triggers and the cache writes. Lock order, the same in the
  -- expiry sweep (lib/ai/quota.ts): reservations, events, then quota periods, then member rows.

  -- Deleting a reservation row is the once-only gate: settling again, or after the sweep
  -- released it, subtracts nothing.
  -- Locked in id order, as the sweep locks them, before they are deleted.
  WITH locked AS (
    SELECT qr.id FROM quota_reservations qr
      WHERE qr.id IN (SELECT r.reservation_id FROM unnest(v_records) r WHERE r.reservation_id IS NOT NULL)
      ORDER BY qr.id FOR UPDATE
  ), released AS (
    DELETE FROM quota_reservations qr USING locked l WHERE qr.id = l.id
      RETURNING qr.id, qr.period_start, qr.tokens, qr.micro_usd
  )
  SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]') INTO v_released FROM released x;

  -- The events; their rollups are kept by the triggers on usage_events (migrations 0013, 0015).
  WITH inserted AS (
    INSERT INTO usage_events (tenant_id, request_id, user_id, api_key_id, feature, role, provider, model, input_tokens, output_tokens,
                              cost_micro_usd, saved_micro_usd, latency_ms, time_to_first_token_ms, cache_status, fallback_count, attempts,
                              status, error_code, validation, price_tier)
    SELECT p_tenant, r.request_id, r.user_id, r.api_key_id, r.feature, r.role, r.provider, r.model, r.input_tokens, r.output_tokens,
           r.cost_micro_usd, r.saved_micro_usd, r.latency_ms, r.time_to_first_token_ms, r.cache_status, r.fallback_count, r.attempts,
           r.status, r.error_code, r.validation, coalesce(r.price_tier, 'standard')
    FROM unnest(v_records) r WHERE r.first
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING request_id
  )
  SELECT coalesce(array_agg(i.request_id), '{}') INTO v_fresh FROM inserted i;

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

  -- Now the hot rows, as keel_admit locks them: quota periods first, then member rows, each sorted.
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

  -- Member caps: their share of what was released, and of what was spent.
  UPDATE member_quota_periods m SET
      reserved_tokens = greatest(0, m.reserved_tokens - s.reserved), used_tokens = m.used_tokens + s.spent
    FROM (
      SELECT r.user_id, r.period_start, coalesce(sum(x.tokens), 0) AS reserved,
             coalesce(sum(r.input_tokens + r.output_tokens) FILTER (WHERE r.first AND r.request_id = ANY (v_fresh)), 0) AS spent
      FROM unnest(v_records) r
      LEFT JOIN jsonb_to_recordset(v_released) AS x(id uuid, period_start date, tokens bigint, micro_usd bigint) ON x.id = r.reservation_id
      WHERE r.member_charged AND r.user_id IS NOT NULL AND r.reservation_id IS NOT NULL
      GROUP BY r.user_id, r.period_start
    ) s
    WHERE m.tenant_id = p_tenant AND m.user_id = s.user_id AND m.period_start = s.period_start;

  -- Swap the released reservations for actual spend.
  FOR v_period IN
    WITH recs AS (
      SELECT r.* FROM unnest(v_records) r WHERE r.reservation_id IS NOT NULL
    ), released AS (
      SELECT * FROM jsonb_to_recordset(v_released) AS x(id uuid, period_start date, tokens bigint, micro_usd bigint)
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
END $function$;
