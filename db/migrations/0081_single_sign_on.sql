-- Single sign-on (issue 19.4): provider identities linked to Keel users, each workspace's sign-in
-- policy, and how each session signed in (the guard compares the two).
-- Linked identities are a person's own rows: the app role sees and writes only those of
-- app.user_id. Finding the user behind an identity happens before anyone is signed in, on the
-- system path.
CREATE TABLE "sso_identities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"provider_account_id" text NOT NULL,
	"email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sso_identities_provider_account_unique" UNIQUE("provider", "provider_account_id")
);
--> statement-breakpoint
ALTER TABLE "sso_identities" ADD CONSTRAINT "sso_identities_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sso_identities_user_id_idx" ON "sso_identities" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE sso_identities ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE sso_identities FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_identities ON sso_identities FOR ALL TO keel_app
  USING (user_id = keel_current_user()) WITH CHECK (user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON sso_identities FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
-- A workspace's sign-in policy: a tenant-owned row, one per workspace that has set one.
CREATE TABLE "workspace_sso_policies" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"require_sso" boolean NOT NULL,
	"email_domain" text,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workspace_sso_policies" ADD CONSTRAINT "workspace_sso_policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_sso_policies" ADD CONSTRAINT "workspace_sso_policies_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE workspace_sso_policies ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE workspace_sso_policies FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON workspace_sso_policies FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON workspace_sso_policies FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
-- How a session signed in: 'password', or the id of the provider ('oidc', 'google', …) and the
-- address that provider asserted. Sessions from before this change signed in with a password.
ALTER TABLE "user_sessions" ADD COLUMN "sign_in_method" text DEFAULT 'password' NOT NULL;--> statement-breakpoint
ALTER TABLE "user_sessions" ADD COLUMN "sign_in_email" text;
