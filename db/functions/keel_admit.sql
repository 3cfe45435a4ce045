-- The gateway's admission in one round trip: exact and semantic cache lookups, then the quota
-- reservation, as the tenant (keel_enter_tenant). Outcomes: 'exact' / 'semantic' (a cached answer,
-- nothing reserved), 'admitted' (reserved), 'refused' (a limit of the tenant's: refused_limit says
-- 'tokens' or 'usd'), 'refused_member'.
-- A reservation records the call it was made for (request id, feature, role, provider, model, API
-- key), so the expiry sweep can bill a call whose usage record never arrived at its estimate under
-- that call's own request id: if the record turns up later, it is a duplicate and adds nothing.
-- p_charge false (offline calls, which are local and free) admits the call after the cache lookups
-- without reserving anything, so keel_record_usage never settles it; its usage event is still written.
CREATE OR REPLACE FUNCTION public.keel_admit(p_tenant uuid, p_user uuid, p_exact_key text, p_scope_key text, p_embedding vector, p_threshold double precision, p_reservation_id uuid, p_tokens bigint, p_micro_usd bigint, p_expires_at timestamp with time zone, p_period_start date, p_token_limit bigint, p_micro_usd_limit bigint, p_member_cap bigint, p_soft_limit_percent integer, p_request_id text, p_feature text, p_role text, p_provider text, p_model text, p_api_key uuid, p_charge boolean)
 RETURNS TABLE(outcome text, completion jsonb, member_charged boolean, refused_limit text)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
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

  -- A call only the offline model can serve costs nothing and is not held to the plan's allowance:
  -- admitted with no reservation (its usage event is still written, without a reservation to settle).
  IF NOT p_charge THEN
    RETURN QUERY SELECT 'admitted'::text, NULL::jsonb, false, NULL::text;
    RETURN;
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

  INSERT INTO quota_reservations (id, tenant_id, period_start, user_id, tokens, micro_usd, expires_at, member_charged,
                                  request_id, feature, role, provider, model, api_key_id)
    VALUES (p_reservation_id, p_tenant, p_period_start, p_user, p_tokens, p_micro_usd, p_expires_at, v_member_charged,
            p_request_id, p_feature, p_role, p_provider, p_model, p_api_key);
  RETURN QUERY SELECT 'admitted'::text, NULL::jsonb, v_member_charged, NULL::text;
END $function$;
