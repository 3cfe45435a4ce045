-- The local executor counts a step whose lease ran out (the process running it died, or stalled
-- past its lease) as an attempt; `lost_leases` says how many of the current step's attempts ended
-- that way, so a run that keeps killing its worker ends failed with that reason.
ALTER TABLE "local_executor_runs" ADD COLUMN "lost_leases" integer DEFAULT 0 NOT NULL;
