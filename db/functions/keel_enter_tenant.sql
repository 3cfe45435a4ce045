-- The in-database twin of withTenant() in db/scope.ts: from the statement that calls it on, the
-- transaction runs as keel_app with the tenant (and user) set, so row-level security applies
-- exactly as in a withTenant transaction. Every tenant-scoped function (db/scope.ts,
-- tenantFunctions) calls it first; the settings end with the calling statement's transaction.
CREATE OR REPLACE FUNCTION public.keel_enter_tenant(p_tenant uuid, p_user uuid)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF p_tenant IS NULL THEN
    RAISE EXCEPTION 'keel_enter_tenant: a tenant is required';
  END IF;
  PERFORM set_config('role', 'keel_app', true),
          set_config('app.tenant_id', p_tenant::text, true),
          set_config('app.user_id', coalesce(p_user::text, ''), true);
END $function$;
