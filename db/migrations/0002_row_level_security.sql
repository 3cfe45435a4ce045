-- Row-level security. Two roles that own nothing and log in as no one:
--   keel_app    every product query; sees only the rows of app.tenant_id (and, for the
--               tenant switcher, the caller's own memberships via app.user_id). No BYPASSRLS.
--   keel_system the one explicit path for cross-tenant work (sign-up, sign-in lookup, crons).
-- Transactions switch to them with SET LOCAL ROLE (db/scope.ts), so the rules hold whatever user
-- the connection logs in as, on PostgreSQL and on embedded PGlite alike.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keel_app') THEN
    CREATE ROLE keel_app NOLOGIN NOBYPASSRLS NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keel_system') THEN
    CREATE ROLE keel_system NOLOGIN NOBYPASSRLS NOINHERIT;
  END IF;
END $$;--> statement-breakpoint
GRANT keel_app, keel_system TO CURRENT_USER;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO keel_app, keel_system;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO keel_app, keel_system;--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO keel_app, keel_system;--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO keel_app, keel_system;--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO keel_app, keel_system;--> statement-breakpoint
-- Throttling state is never product data.
REVOKE ALL ON sign_in_attempts FROM keel_app;--> statement-breakpoint

-- The request context: db/functions/keel_current_tenant.sql and keel_current_user.sql, applied after
-- the versioned migrations. The policies below need the functions to exist, so they are created
-- here as placeholders that match no row (NULL); CREATE OR REPLACE later gives them their bodies
-- and keeps the policies pointing at them.
CREATE FUNCTION keel_current_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$;--> statement-breakpoint
CREATE FUNCTION keel_current_user() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$;--> statement-breakpoint

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE users ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE sign_in_attempts ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE sign_in_attempts FORCE ROW LEVEL SECURITY;--> statement-breakpoint

CREATE POLICY tenant_isolation ON tenants FOR ALL TO keel_app
  USING (id = keel_current_tenant()) WITH CHECK (id = keel_current_tenant());--> statement-breakpoint
-- The tenant switcher lists the caller's own tenants (name and slug only are selected).
CREATE POLICY tenants_of_current_user ON tenants FOR SELECT TO keel_app
  USING (id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = keel_current_user()));--> statement-breakpoint

CREATE POLICY tenant_isolation ON memberships FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY own_memberships ON memberships FOR SELECT TO keel_app
  USING (user_id = keel_current_user());--> statement-breakpoint

CREATE POLICY tenant_isolation ON invitations FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint

CREATE POLICY tenant_isolation ON audit_log FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint

-- Users are global: the app role sees itself and the members of the current tenant, and may
-- edit only itself. Creating users is sign-up, which runs on the system path.
CREATE POLICY self_and_tenant_members ON users FOR SELECT TO keel_app
  USING (id = keel_current_user()
         OR id IN (SELECT m.user_id FROM memberships m WHERE m.tenant_id = keel_current_tenant()));--> statement-breakpoint
CREATE POLICY update_self ON users FOR UPDATE TO keel_app
  USING (id = keel_current_user()) WITH CHECK (id = keel_current_user());--> statement-breakpoint

CREATE POLICY system_all ON tenants FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY system_all ON memberships FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY system_all ON invitations FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY system_all ON audit_log FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY system_all ON users FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY system_all ON sign_in_attempts FOR ALL TO keel_system USING (true) WITH CHECK (true);
