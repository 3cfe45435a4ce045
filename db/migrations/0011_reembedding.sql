-- Re-embedding (lib/documents/reembed): what each chunk's vector was computed from, a shadow vector
-- beside the live one for blue/green switches, the provider batches in flight, and the batch price
-- on usage events.

-- The chunk's content_hash when its embedding was computed: a chunk whose text changed since is
-- stale even if its model is current. Vectors stored so far were written by the pipeline, which
-- drops an embedding whenever its chunk's text changes, so they match the text they sit beside.
ALTER TABLE "document_chunks" ADD COLUMN "embedded_hash" text;--> statement-breakpoint
-- Blue/green: a re-embedding writes here, never over the live vector; a document's shadows replace
-- its live vectors in one UPDATE once all of them are in (see lib/documents/reembed/switch-over.ts).
ALTER TABLE "document_chunks" ADD COLUMN "next_embedding" vector(384);--> statement-breakpoint
ALTER TABLE "document_chunks" ADD COLUMN "next_embedding_model" text;--> statement-breakpoint
ALTER TABLE "document_chunks" ADD COLUMN "next_embedded_hash" text;--> statement-breakpoint
CREATE INDEX "document_chunks_shadow_idx" ON "document_chunks" USING btree ("tenant_id","document_id") WHERE "document_chunks"."next_embedding" IS NOT NULL;--> statement-breakpoint
-- As keel_system: row-level security is forced on document_chunks.
SET LOCAL ROLE keel_system;--> statement-breakpoint
UPDATE document_chunks SET embedded_hash = content_hash WHERE embedding IS NOT NULL;--> statement-breakpoint
RESET ROLE;--> statement-breakpoint

-- One provider batch (OpenAI Batch API) of a re-embedding: written before the provider is asked,
-- so a step that dies between creating the batch and remembering it finds it again (by metadata).
CREATE TABLE "embedding_batches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"job_id" uuid,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"status" text DEFAULT 'submitting' NOT NULL,
	"provider_batch_id" text,
	"input_file_id" text,
	"output_file_id" text,
	"request_count" integer NOT NULL,
	"estimated_tokens" bigint NOT NULL,
	"reservation" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "embedding_batches_status_check" CHECK ("status" IN ('submitting', 'submitted', 'applied', 'failed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "embedding_batches" ADD CONSTRAINT "embedding_batches_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "embedding_batches" ADD CONSTRAINT "embedding_batches_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "embedding_batches_tenant_status_idx" ON "embedding_batches" USING btree ("tenant_id","status");--> statement-breakpoint
ALTER TABLE embedding_batches ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE embedding_batches FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON embedding_batches FOR ALL TO keel_app
  USING (tenant_id = keel_current_tenant()) WITH CHECK (tenant_id = keel_current_tenant());--> statement-breakpoint
CREATE POLICY system_all ON embedding_batches FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint

-- Which price applied to a call: provider batch APIs bill about half the online price.
ALTER TABLE "usage_events" ADD COLUMN "price_tier" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_price_tier_check" CHECK ("price_tier" IN ('standard', 'batch'));--> statement-breakpoint
ALTER TYPE keel_usage_record ADD ATTRIBUTE price_tier text;
