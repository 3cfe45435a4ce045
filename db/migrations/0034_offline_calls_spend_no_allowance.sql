-- Offline calls spend no allowance. The offline model is local and free; a trial on it used 42% of
-- the free plan's monthly tokens in 15 minutes. keel_admit gains p_charge: false admits the call
-- after the cache lookups without reserving anything, so keel_record_usage (which settles only
-- records with a reservation) never adds it to quota_periods or member_quota_periods either. Its
-- usage events are written as before: offline calls stay metered and visible. The change itself is
-- in db/functions/keel_admit.sql; this migration has nothing left to do but record that it happened.
SELECT 1;
