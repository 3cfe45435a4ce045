-- A reservation now records the call it was made for (request id, feature, role, provider, model,
-- API key), so the expiry sweep can bill a call whose usage record never arrived at its estimate
-- under that call's own request id: if the record turns up later, it is a duplicate and adds nothing.
-- keel_admit (db/functions) fills these columns.
ALTER TABLE "quota_reservations" ADD COLUMN "request_id" text;--> statement-breakpoint
ALTER TABLE "quota_reservations" ADD COLUMN "feature" text;--> statement-breakpoint
ALTER TABLE "quota_reservations" ADD COLUMN "role" text;--> statement-breakpoint
ALTER TABLE "quota_reservations" ADD COLUMN "provider" text;--> statement-breakpoint
ALTER TABLE "quota_reservations" ADD COLUMN "model" text;--> statement-breakpoint
ALTER TABLE "quota_reservations" ADD COLUMN "api_key_id" uuid;
