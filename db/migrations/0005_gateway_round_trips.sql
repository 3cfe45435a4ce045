-- The gateway's hot path in one round trip each: admission (cache lookup + quota reservation)
-- before a model call, and metering (events, rollup, settlement, soft warning, cache writes) for
-- a batch of calls after. Each function begins with keel_enter_tenant(), the in-database twin of
-- withTenant() in db/scope.ts: from that statement on it runs as keel_app with the tenant set, so
-- row-level security applies exactly as in a withTenant transaction. Called as a single
-- statement, a call is its own transaction, and the settings end with it.
-- Whether a reservation also charged the member's cap: settlement and the expiry sweep release both.
ALTER TABLE quota_reservations ADD COLUMN member_charged boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE FUNCTION keel_enter_tenant(p_tenant uuid, p_user uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_tenant IS NULL THEN
    RAISE EXCEPTION 'keel_enter_tenant: a tenant is required';
  END IF;
  PERFORM set_config('role', 'keel_app', true),
          set_config('app.tenant_id', p_tenant::text, true),
          set_config('app.user_id', coalesce(p_user::text, ''), true);
END $$;--> statement-breakpoint

-- Outcomes: 'exact' / 'semantic' (a cached answer, nothing reserved), 'admitted' (reserved),
-- 'refused' (a limit of the tenant's: refused_limit says 'tokens' or 'usd'), 'refused_member'.
CREATE FUNCTION keel_admit(
  p_tenant uuid, p_user uuid,
  p_exact_key text,
  p_scope_key text, p_embedding vector, p_threshold double precision,
  p_reservation_id uuid, p_tokens bigint, p_micro_usd bigint, p_expires_at timestamptz,
  p_period_start date, p_token_limit bigint, p_micro_usd_limit bigint, p_member_cap bigint, p_soft_limit_percent integer
) RETURNS TABLE (outcome text, completion jsonb, member_charged boolean, refused_limit text)
LANGUAGE plpgsql AS $$
DECLARE
  v_completion jsonb;
  v_similarity double precision;
  v_cap bigint;
  v_reserved boolean := false;
  v_member_charged boolean := false;
BEGIN
  PERFORM keel_enter_tenant(p_tenant, p_user);
  -- Losing an admission in a database crash only frees quota early, never bills; not waiting
  -- for the WAL flush releases the tenant's hot quota row sooner.
  PERFORM set_config('synchronous_commit', 'off', true);

  IF p_exact_key IS NOT NULL THEN
    SELECT c.completion INTO v_completion FROM ai_exact_cache c
      WHERE c.tenant_id = p_tenant AND c.key = p_exact_key AND c.expires_at > now();
    IF FOUND THEN
      RETURN QUERY SELECT 'exact'::text, v_completion, false, NULL::text;
      RETURN;
    END IF;
  END IF;

  IF p_embedding IS NOT NULL THEN
    -- A tenant filter on an HNSW scan can otherwise return fewer rows than asked for (pgvector 0.8).
    PERFORM set_config('hnsw.iterative_scan', 'relaxed_order', true);
    SELECT c.completion, 1 - (c.embedding <=> p_embedding) INTO v_completion, v_similarity FROM ai_semantic_cache c
      WHERE c.tenant_id = p_tenant AND c.scope_key = p_scope_key AND c.expires_at > now()
      ORDER BY c.embedding <=> p_embedding LIMIT 1;
    IF FOUND AND v_similarity >= p_threshold THEN
      RETURN QUERY SELECT 'semantic'::text, v_completion, false, NULL::text;
      RETURN;
    END IF;
  END IF;

  -- One conditional UPDATE: concurrent calls from any number of processes can never jointly pass
  -- the limit. The first call of a period opens it with the limits in force now.
  FOR attempt IN 1..2 LOOP
    UPDATE quota_periods q SET reserved_tokens = q.reserved_tokens + p_tokens, reserved_micro_usd = q.reserved_micro_usd + p_micro_usd
      WHERE q.tenant_id = p_tenant AND q.period_start = p_period_start
        AND (q.token_limit IS NULL OR q.used_tokens + q.reserved_tokens + p_tokens <= q.token_limit)
        AND (q.micro_usd_limit IS NULL OR q.used_micro_usd + q.reserved_micro_usd + p_micro_usd <= q.micro_usd_limit)
      RETURNING q.member_token_cap INTO v_cap;
    v_reserved := FOUND;
    EXIT WHEN v_reserved OR attempt = 2;
    INSERT INTO quota_periods (tenant_id, period_start, token_limit, micro_usd_limit, member_token_cap, soft_limit_percent)
      VALUES (p_tenant, p_period_start, p_token_limit, p_micro_usd_limit, p_member_cap, p_soft_limit_percent)
      ON CONFLICT (tenant_id, period_start) DO NOTHING;
  END LOOP;

  IF NOT v_reserved THEN
    -- Name a limit the tenant has: the token limit if this call would pass it, else the USD one.
    RETURN QUERY SELECT 'refused'::text, NULL::jsonb, false,
        CASE WHEN q.token_limit IS NOT NULL AND (q.micro_usd_limit IS NULL OR q.used_tokens + q.reserved_tokens + p_tokens > q.token_limit)
             THEN 'tokens' ELSE 'usd' END
      FROM quota_periods q WHERE q.tenant_id = p_tenant AND q.period_start = p_period_start;
    RETURN;
  END IF;

  -- Lock order, here and in keel_record_usage: the quota period row (above), then member rows.
  IF v_cap IS NOT NULL AND p_user IS NOT NULL THEN
    INSERT INTO member_quota_periods AS m (tenant_id, user_id, period_start, used_tokens, reserved_tokens)
      SELECT p_tenant, p_user, p_period_start, 0, p_tokens WHERE p_tokens <= v_cap
      ON CONFLICT (tenant_id, user_id, period_start) DO UPDATE SET reserved_tokens = m.reserved_tokens + excluded.reserved_tokens
        WHERE m.used_tokens + m.reserved_tokens + excluded.reserved_tokens <= v_cap;
    IF NOT FOUND THEN
      -- Refused by the member's cap: give back the tenant reservation made above.
      UPDATE quota_periods q SET reserved_tokens = q.reserved_tokens - p_tokens, reserved_micro_usd = q.reserved_micro_usd - p_micro_usd
        WHERE q.tenant_id = p_tenant AND q.period_start = p_period_start;
      RETURN QUERY SELECT 'refused_member'::text, NULL::jsonb, false, NULL::text;
      RETURN;
    END IF;
    v_member_charged := true;
  END IF;

  INSERT INTO quota_reservations (id, tenant_id, period_start, user_id, tokens, micro_usd, expires_at, member_charged)
    VALUES (p_reservation_id, p_tenant, p_period_start, p_user, p_tokens, p_micro_usd, p_expires_at, v_member_charged);
  RETURN QUERY SELECT 'admitted'::text, NULL::jsonb, v_member_charged, NULL::text;
END $$;--> statement-breakpoint

-- One model call as the meter sends it (a JSON array of these). `first` is false for a repeat of
-- a request id earlier in the same batch: its reservation is released, its spend not counted.
CREATE TYPE keel_usage_record AS (
  request_id text, first boolean, user_id uuid, api_key_id uuid, feature text, role text, provider text, model text,
  input_tokens integer, output_tokens integer, cost_micro_usd bigint, saved_micro_usd bigint, latency_ms integer,
  time_to_first_token_ms integer, cache_status cache_status, fallback_count integer, attempts integer, status call_status,
  error_code text, validation validation_outcome,
  reservation_id uuid, period_start date, member_charged boolean,
  exact_key text, exact_ttl_seconds integer, scope_key text, embedding vector, semantic_ttl_seconds integer, completion jsonb
);--> statement-breakpoint

-- Writes a batch of one tenant's calls. Idempotent on request ids: a replayed call (or a retried
-- batch) inserts no event, so it adds no spend, rollup or cache write. Returns one row when this
-- batch crossed the soft limit for the first time in the period.
CREATE FUNCTION keel_record_usage(p_tenant uuid, p_day date, p_records jsonb)
RETURNS TABLE (soft_limit text, message text, webhook_url text)
LANGUAGE plpgsql AS $$
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
  INSERT INTO ai_exact_cache AS c (tenant_id, key, completion, expires_at)
    SELECT DISTINCT ON (r.exact_key) p_tenant, r.exact_key, r.completion, now() + make_interval(secs => r.exact_ttl_seconds)
    FROM unnest(v_records) r
    WHERE r.exact_key IS NOT NULL AND r.completion IS NOT NULL AND r.status = 'ok' AND r.first AND r.request_id = ANY (v_fresh)
    ORDER BY r.exact_key
    ON CONFLICT (tenant_id, key) DO UPDATE SET completion = excluded.completion, created_at = now(), expires_at = excluded.expires_at;

  INSERT INTO ai_semantic_cache (tenant_id, scope_key, embedding, completion, expires_at)
    SELECT p_tenant, r.scope_key, r.embedding, r.completion, now() + make_interval(secs => r.semantic_ttl_seconds)
    FROM unnest(v_records) r
    WHERE r.embedding IS NOT NULL AND r.completion IS NOT NULL AND r.status = 'ok' AND r.first AND r.request_id = ANY (v_fresh);
END $$;
