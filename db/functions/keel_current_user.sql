-- The request's user (the tenant switcher, users' own rows), NULL when unset. Policies depend on it,
-- like keel_current_tenant.
CREATE OR REPLACE FUNCTION public.keel_current_user()
 RETURNS uuid
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $function$;
