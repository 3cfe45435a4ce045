-- Stored responses of the Responses API (/api/v1/responses), so a later request can continue one
-- with previous_response_id: this request's input items and the output items, both in OpenAI's
-- wire shape, and the response it continued. Tenant-owned, under row-level security: another
-- workspace's id is not found.
CREATE TABLE "api_responses" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"api_key_id" uuid,
	"previous_response_id" text,
	"model" text NOT NULL,
	"input_items" jsonb NOT NULL,
	"output_items" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_responses" ADD CONSTRAINT "api_responses_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_responses" ADD CONSTRAINT "api_responses_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_responses_tenant_created_idx" ON "api_responses" USING btree ("tenant_id","created_at");--> statement-breakpoint
ALTER TABLE api_responses ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE api_responses FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON api_responses FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON api_responses FOR ALL TO keel_system USING (true) WITH CHECK (true);
