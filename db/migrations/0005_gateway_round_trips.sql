-- The gateway's hot path in one round trip each: admission (cache lookup + quota reservation)
-- before a model call, and metering (events, rollup, settlement, soft warning, cache writes) for
-- a batch of calls after. The functions (keel_enter_tenant, keel_admit, keel_record_usage) live in
-- db/functions and are applied after the versioned migrations; what stays here is the table
-- change and the record type they use.
-- Whether a reservation also charged the member's cap: settlement and the expiry sweep release both.
ALTER TABLE quota_reservations ADD COLUMN member_charged boolean DEFAULT false NOT NULL;--> statement-breakpoint

-- One model call as the meter sends it to keel_record_usage (a JSON array of these). `first` is
-- false for a repeat of a request id earlier in the same batch: its reservation is released, its
-- spend not counted. A test ties its attributes to lib/ai/meter/records.ts (toUsageRow).
CREATE TYPE keel_usage_record AS (
  request_id text, first boolean, user_id uuid, api_key_id uuid, feature text, role text, provider text, model text,
  input_tokens integer, output_tokens integer, cost_micro_usd bigint, saved_micro_usd bigint, latency_ms integer,
  time_to_first_token_ms integer, cache_status cache_status, fallback_count integer, attempts integer, status call_status,
  error_code text, validation validation_outcome,
  reservation_id uuid, period_start date, member_charged boolean,
  exact_key text, exact_ttl_seconds integer, scope_key text, embedding vector, semantic_ttl_seconds integer, completion jsonb
);
