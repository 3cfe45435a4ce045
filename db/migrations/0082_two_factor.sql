-- Two factors (issue 19.5): an authenticator app (TOTP, its secret encrypted by the app), single-use
-- recovery codes (hashes only), passkeys (WebAuthn public keys), the short-lived challenges a
-- second step or a passkey ceremony is bound to, and a workspace's rule that its members have a
-- second factor. Factors and challenges are a person's own rows; the policy is the tenant's.
CREATE TABLE "user_totp" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"confirmed_at" timestamp with time zone,
	"last_used_step" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_recovery_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_passkeys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"credential_id" text NOT NULL,
	"public_key" text NOT NULL,
	"counter" bigint DEFAULT 0 NOT NULL,
	"transports" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "user_passkeys_credential_id_unique" UNIQUE("credential_id")
);
--> statement-breakpoint
CREATE TABLE "two_factor_challenges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"purpose" text NOT NULL,
	"token_hash" text NOT NULL,
	"webauthn_challenge" text,
	"failures" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "two_factor_challenges_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "two_factor_challenges_purpose_check" CHECK ("purpose" IN ('sign_in', 'passkey_sign_in', 'passkey_register'))
);
--> statement-breakpoint
CREATE TABLE "tenant_two_factor_policies" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"required_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "user_totp" ADD CONSTRAINT "user_totp_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_recovery_codes" ADD CONSTRAINT "user_recovery_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_passkeys" ADD CONSTRAINT "user_passkeys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "two_factor_challenges" ADD CONSTRAINT "two_factor_challenges_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_two_factor_policies" ADD CONSTRAINT "tenant_two_factor_policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_two_factor_policies" ADD CONSTRAINT "tenant_two_factor_policies_required_by_users_id_fk" FOREIGN KEY ("required_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_recovery_codes_user_id_idx" ON "user_recovery_codes" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "user_passkeys_user_id_idx" ON "user_passkeys" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "two_factor_challenges_expires_at_idx" ON "two_factor_challenges" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE user_totp ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE user_totp FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_totp ON user_totp FOR ALL TO keel_app
  USING (user_id = keel_current_user()) WITH CHECK (user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON user_totp FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE user_recovery_codes ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE user_recovery_codes FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_recovery_codes ON user_recovery_codes FOR ALL TO keel_app
  USING (user_id = keel_current_user()) WITH CHECK (user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON user_recovery_codes FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE user_passkeys ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE user_passkeys FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_passkeys ON user_passkeys FOR ALL TO keel_app
  USING (user_id = keel_current_user()) WITH CHECK (user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON user_passkeys FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
-- A challenge is redeemed before anyone is signed in: only the system path reads it by its token.
-- A signed-in person registering a passkey holds their own.
ALTER TABLE two_factor_challenges ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE two_factor_challenges FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_challenges ON two_factor_challenges FOR ALL TO keel_app
  USING (user_id = keel_current_user()) WITH CHECK (user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON two_factor_challenges FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE tenant_two_factor_policies ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE tenant_two_factor_policies FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenant_two_factor_policies FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON tenant_two_factor_policies FOR ALL TO keel_system USING (true) WITH CHECK (true);
