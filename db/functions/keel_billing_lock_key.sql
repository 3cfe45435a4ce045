-- One lock per tenant between billing a batch of events and closing a period: inserts take it
-- shared (they never wait on each other), a close takes it exclusively. So a close waits for
-- batches in flight to commit (they are in the period it closes), and a batch that starts after
-- it sees the period closed and bills its events in the next one. The two-key form keeps these
-- locks apart from the single-key migration lock (db/migrate.ts).
CREATE OR REPLACE FUNCTION public.keel_billing_lock_key(p_tenant uuid)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT hashtext(p_tenant::text) $function$;
