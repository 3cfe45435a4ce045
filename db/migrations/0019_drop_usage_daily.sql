-- usage_daily (0003) was the first rollup of usage events; usage_rollups (0013) and the
-- observability rollups (0015) replaced it, and nothing reads it any more. The meter's function
-- (db/functions/keel_record_usage.sql) stops writing it (one upsert less in every batch) and loses
-- the day it only needed for that.
DROP TABLE usage_daily;
