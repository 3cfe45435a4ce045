-- Every counter an API call touches, in one statement (one round trip), as one tenant.
-- p_entries: [{key, points, duration, settle, settle_expire}], one per key. `points` is consumed in
-- the current window (a window past its expiry starts afresh at now + duration); `settle` (tokens
-- estimated before earlier calls minus those they used, or a refused call's points) is applied only
-- to the window those calls were counted in (`settle_expire`), never to a later one. An entry that
-- only settles never opens a window. Rows are written in key order, so concurrent calls, from any
-- number of processes, lock them in the same order and cannot deadlock.
CREATE OR REPLACE FUNCTION public.keel_rate_limit_consume(p_tenant uuid, p_entries jsonb, p_now bigint)
 RETURNS TABLE(rl_key text, rl_points double precision, rl_expire double precision)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM keel_enter_tenant(p_tenant, NULL);
  -- Losing the last counts in a database crash only lets a few calls through early; not waiting
  -- for the WAL flush releases these hot rows sooner.
  PERFORM set_config('synchronous_commit', 'off', true);
  RETURN QUERY
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(p_entries) AS e(key text, points bigint, duration bigint, settle bigint, settle_expire bigint)
    )
    INSERT INTO api_rate_limits AS r (tenant_id, key, points, expire)
    SELECT p_tenant, i.key, i.points, CASE WHEN i.points > 0 THEN p_now + i.duration ELSE p_now END
    FROM input i
    ORDER BY i.key COLLATE "C"
    ON CONFLICT (tenant_id, key) DO UPDATE SET
      points = CASE
        WHEN r.expire <= p_now THEN excluded.points
        ELSE greatest(0, r.points + coalesce((SELECT i.settle FROM input i WHERE i.key = excluded.key AND i.settle_expire = r.expire), 0)) + excluded.points
      END,
      expire = CASE WHEN r.expire <= p_now THEN excluded.expire ELSE r.expire END
    RETURNING r.key, r.points::double precision, r.expire::double precision;
END $function$;
