-- Uploads in flight (lib/documents/upload.ts): one row per upload being received, written before
-- its body is read and deleted when it ends, so each person's concurrent uploads can be counted
-- across all app processes and the bytes still arriving count against the storage quota. A row
-- left by a crashed process stops counting at expires_at. The duplicate check (same content in the
-- same collection) reads documents by their SHA-256.
CREATE TABLE "upload_reservations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"bytes" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "upload_reservations" ADD CONSTRAINT "upload_reservations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "upload_reservations" ADD CONSTRAINT "upload_reservations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "upload_reservations_tenant_user_idx" ON "upload_reservations" USING btree ("tenant_id","user_id","expires_at");--> statement-breakpoint
CREATE INDEX "documents_content_idx" ON "documents" USING btree ("tenant_id","collection_id","sha256");--> statement-breakpoint
ALTER TABLE upload_reservations ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE upload_reservations FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON upload_reservations FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON upload_reservations FOR ALL TO keel_system USING (true) WITH CHECK (true);
