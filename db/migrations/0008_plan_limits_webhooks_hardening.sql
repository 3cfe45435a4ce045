ALTER TABLE "tenant_ai_settings" ADD COLUMN "warning_webhook_secret" text;--> statement-breakpoint

-- Every SQL function Keel defines runs with a pinned search_path, so no schema that comes first on
-- a caller's path (a temporary table or function, another schema) can stand in for the tables,
-- types and functions it names. Pinned here for the keel_* functions of earlier migrations; each
-- file in db/functions pins its own (`SET search_path TO 'public', 'pg_temp'`: CREATE OR REPLACE
-- resets it to what the statement says).
-- db/hardening.test.ts fails for any keel_* function without it.
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.proname LIKE 'keel\_%'
  LOOP
    EXECUTE format('ALTER FUNCTION %s SET search_path = public, pg_temp', f);
  END LOOP;
END $$;--> statement-breakpoint

-- The plan is the operator's to change (withSystem), never the tenant's: the app role may rename
-- its workspace (name, slug) and nothing else, and a workspace it opens starts on the free plan.
REVOKE UPDATE ON tenants FROM keel_app;--> statement-breakpoint
GRANT UPDATE (name, slug) ON tenants TO keel_app;--> statement-breakpoint
CREATE POLICY new_tenants_are_free ON tenants AS RESTRICTIVE FOR INSERT TO keel_app WITH CHECK (plan = 'free');--> statement-breakpoint

-- The audit log is append-only for the app. Deleting a tenant still removes its rows: the
-- ON DELETE CASCADE runs as the table owner, whoever deletes the tenant.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM keel_app;--> statement-breakpoint

-- Until now a tenant could raise its own limits past its plan (in Settings). Limits are now the
-- lower of the tenant's and the plan's (lib/ai/plans.ts: free 500,000 tokens / $5, pro 20,000,000
-- tokens / $200, enterprise unlimited); this bounds the periods already opened with a higher one.
-- Run as keel_system: row-level security is forced on quota_periods, for its owner too.
SET LOCAL ROLE keel_system;--> statement-breakpoint
UPDATE quota_periods q SET
    token_limit = least(coalesce(q.token_limit, a.tokens), a.tokens),
    micro_usd_limit = least(coalesce(q.micro_usd_limit, a.micro_usd), a.micro_usd)
  FROM tenants t, (VALUES ('free', 500000, 5000000), ('pro', 20000000, 200000000)) AS a (plan, tokens, micro_usd)
  WHERE t.id = q.tenant_id AND t.plan::text = a.plan AND q.period_start >= date_trunc('month', now() AT TIME ZONE 'UTC')::date;--> statement-breakpoint
RESET ROLE;
