-- keel_text_matches (migration 0014) ranked its candidates in a second statement: up to 240 chunk
-- ids looked up again through the primary key, each row and its out-of-line tsvector read a second
-- time (about 8 buffer reads a candidate; 24 ms of a 40 ms call for the 100,000-chunk tenant of
-- bench:retrieval on the shared machine). The per-word lookups already read each candidate's
-- tsvector to check the match, so they now rank it there, against the whole query, in one pass.
-- Same answer (chunks matching any word, best first, ties by id), same guards: SECURITY DEFINER as
-- keel_system (CREATE OR REPLACE keeps its owner and grants), the tenant from app.tenant_id only.
-- The function is db/functions/keel_text_matches.sql; this migration has nothing left to do.
SELECT 1;
