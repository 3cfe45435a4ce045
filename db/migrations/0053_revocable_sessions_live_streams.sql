-- Revocable sign-in sessions (the JWT carries user_sessions.id; the guard checks the row) and the
-- leases of open /api/live streams (a per-person cap that holds across app processes). Both are a
-- person's own rows: the app role sees and writes only those of app.user_id.
CREATE TABLE "user_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user_agent" text,
	"ip" text,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "live_streams" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"session_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "user_sessions" ADD CONSTRAINT "user_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "live_streams" ADD CONSTRAINT "live_streams_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "live_streams" ADD CONSTRAINT "live_streams_session_id_user_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."user_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "live_streams" ADD CONSTRAINT "live_streams_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_sessions_user_id_idx" ON "user_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "live_streams_user_id_idx" ON "live_streams" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE user_sessions ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE user_sessions FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_sessions ON user_sessions FOR ALL TO keel_app
  USING (user_id = keel_current_user()) WITH CHECK (user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON user_sessions FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE live_streams ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE live_streams FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_streams ON live_streams FOR ALL TO keel_app
  USING (user_id = keel_current_user()) WITH CHECK (user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON live_streams FOR ALL TO keel_system USING (true) WITH CHECK (true);
