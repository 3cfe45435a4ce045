-- Inngest tells the SDK to plan every step (ctx.disable_immediate_execution) once a run has answered
-- with more than one op (parallel steps); the local executor records that per run to send the same.
ALTER TABLE "local_executor_runs" ADD COLUMN "force_step_plan" boolean DEFAULT false NOT NULL;
