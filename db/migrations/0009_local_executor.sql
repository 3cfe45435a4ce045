-- The local executor's queue (inngest/local-executor/): events, registered functions, runs and
-- cron schedules. System tables: not tenant-owned, reached only on the system path (withSystem),
-- invisible to the app role, like sign_in_attempts.
CREATE TYPE "public"."local_executor_run_status" AS ENUM('active', 'completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE TABLE "local_executor_crons" (
	"function_id" text NOT NULL,
	"schedule" text NOT NULL,
	"next_at" timestamp with time zone NOT NULL,
	CONSTRAINT "local_executor_crons_function_id_schedule_pk" PRIMARY KEY("function_id","schedule")
);
--> statement-breakpoint
CREATE TABLE "local_executor_events" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"routed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "local_executor_functions" (
	"id" text PRIMARY KEY NOT NULL,
	"app_id" text NOT NULL,
	"config" jsonb NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "local_executor_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"function_id" text NOT NULL,
	"event_id" text NOT NULL,
	"event" jsonb NOT NULL,
	"status" "local_executor_run_status" DEFAULT 'active' NOT NULL,
	"steps" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stack" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"planned" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"request_version" integer,
	"priority" integer DEFAULT 0 NOT NULL,
	"concurrency_keys" text[] DEFAULT '{}'::text[] NOT NULL,
	"concurrency_limits" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"run_at" timestamp with time zone NOT NULL,
	"lease_token" uuid,
	"leased_until" timestamp with time zone,
	"output" jsonb,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "local_executor_crons" ADD CONSTRAINT "local_executor_crons_function_id_local_executor_functions_id_fk" FOREIGN KEY ("function_id") REFERENCES "public"."local_executor_functions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "local_executor_events_unrouted_idx" ON "local_executor_events" USING btree ("received_at") WHERE "local_executor_events"."routed_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "local_executor_runs_trigger_idx" ON "local_executor_runs" USING btree ("function_id","event_id");--> statement-breakpoint
CREATE INDEX "local_executor_runs_due_idx" ON "local_executor_runs" USING btree ("run_at") WHERE "local_executor_runs"."status" = 'active';--> statement-breakpoint
CREATE INDEX "local_executor_runs_concurrency_idx" ON "local_executor_runs" USING gin ("concurrency_keys") WHERE "local_executor_runs"."leased_until" is not null;--> statement-breakpoint
REVOKE ALL ON local_executor_functions, local_executor_events, local_executor_runs, local_executor_crons FROM keel_app;--> statement-breakpoint
ALTER TABLE local_executor_functions ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE local_executor_functions FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE local_executor_events ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE local_executor_events FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE local_executor_runs ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE local_executor_runs FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE local_executor_crons ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE local_executor_crons FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_all ON local_executor_functions FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY system_all ON local_executor_events FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY system_all ON local_executor_runs FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY system_all ON local_executor_crons FOR ALL TO keel_system USING (true) WITH CHECK (true);
