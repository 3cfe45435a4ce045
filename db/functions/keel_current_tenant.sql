-- The request's tenant, read by every keel_app row-level security policy: NULL when unset (a reset
-- custom setting reads as '', not NULL). Policies depend on this function, so it can never be
-- dropped: its signature only changes through a versioned migration.
CREATE OR REPLACE FUNCTION public.keel_current_tenant()
 RETURNS uuid
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $function$;
