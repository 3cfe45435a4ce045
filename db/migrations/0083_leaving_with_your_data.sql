-- Leaving with your data (issue 19.7): workspace exports, scheduled workspace deletion, and a
-- platform-level record of what was deleted that outlives the workspace and the account.
-- A workspace scheduled for deletion: unusable from now, purged by a cron once the grace period
-- ends (lib/tenancy/workspace-deletion.ts). The app role cannot set these (column grants stay
-- name and slug): the owner's request goes through the system path after the guard.
ALTER TABLE "tenants" ADD COLUMN "deletion_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "deletion_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "deletion_requested_by" uuid;--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_deletion_requested_by_users_id_fk" FOREIGN KEY ("deletion_requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tenants_deletion_due_idx" ON "tenants" USING btree ("deletion_due_at") WHERE "tenants"."deletion_due_at" IS NOT NULL;--> statement-breakpoint
-- One export of a workspace: its job (progress, status) and, once written, the zip in storage.
CREATE TABLE "workspace_exports" (
	"job_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"requested_by" uuid,
	"storage_key" text,
	"bytes" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workspace_exports" ADD CONSTRAINT "workspace_exports_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_exports" ADD CONSTRAINT "workspace_exports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_exports" ADD CONSTRAINT "workspace_exports_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "workspace_exports_tenant_created_idx" ON "workspace_exports" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "workspace_exports_expires_idx" ON "workspace_exports" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE workspace_exports ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE workspace_exports FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON workspace_exports FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON workspace_exports FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
-- What was deleted, kept after the workspace or account is gone. It names its subject only by a
-- sha256 (of the workspace's or account's id), so nothing of a purged workspace stays readable
-- here, yet a support request that quotes the id can be matched. Append-only; system path only.
CREATE TABLE "platform_audit_log" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"action" text NOT NULL,
	"subject_hash" text NOT NULL,
	"actor_user_id" uuid,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "platform_audit_log_action_check" CHECK ("action" IN ('workspace.deletion_scheduled', 'workspace.deletion_cancelled', 'workspace.purged', 'account.deleted'))
);
--> statement-breakpoint
ALTER TABLE "platform_audit_log" ADD CONSTRAINT "platform_audit_log_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "platform_audit_log_subject_idx" ON "platform_audit_log" USING btree ("subject_hash","created_at");--> statement-breakpoint
REVOKE ALL ON platform_audit_log FROM keel_app;--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON platform_audit_log FROM keel_system;--> statement-breakpoint
ALTER TABLE platform_audit_log ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE platform_audit_log FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_all ON platform_audit_log FOR ALL TO keel_system USING (true) WITH CHECK (true);
