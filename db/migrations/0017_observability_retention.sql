-- Retention of the observability rollups that grow with traffic (lib/observability/retention.ts):
-- the five-minute buckets serve only the last 24 hours, and actor days only the weekly active
-- users of recent weeks. The daily sums, weekly actives and answer hours are kept. The nightly
-- prune-observability-rollups cron deletes through the system path, so keel_system alone may.
GRANT DELETE ON usage_recent_rollups, usage_actor_days TO keel_system;
