-- keel_text_matches (migration 0014) ranked its candidates in a second statement: up to 240 chunk
-- ids looked up again through the primary key, each row and its out-of-line tsvector read a second
-- time (about 8 buffer reads a candidate; 24 ms of a 40 ms call for the 100,000-chunk tenant of
-- bench:retrieval on the shared machine). The per-word lookups already read each candidate's
-- tsvector to check the match, so they now rank it there, against the whole query, in one pass.
-- Same answer (chunks matching any word, best first, ties by id), same guards: SECURITY DEFINER as
-- keel_system (CREATE OR REPLACE keeps its owner and grants), the tenant from app.tenant_id only.
CREATE OR REPLACE FUNCTION keel_text_matches(p_terms text[], p_collections uuid[], p_embedding_model text, p_per_term integer, p_limit integer)
RETURNS TABLE (id uuid, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_tenant uuid := keel_current_tenant();
  v_term text;
  v_found uuid[];
  v_found_ranks real[];
  v_ids uuid[] := '{}';
  v_ranks real[] := '{}';
  v_query tsquery;
BEGIN
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'keel_text_matches: no tenant in scope';
  END IF;
  FOREACH v_term IN ARRAY coalesce(p_terms, '{}') LOOP
    v_query := CASE WHEN v_query IS NULL THEN plainto_tsquery('simple', v_term) ELSE v_query || plainto_tsquery('simple', v_term) END;
  END LOOP;
  IF v_query IS NULL THEN
    RETURN;
  END IF;
  FOREACH v_term IN ARRAY p_terms LOOP
    EXECUTE 'select coalesce(array_agg(s.id), ''{}''), coalesce(array_agg(s.rank), ''{}'') from (
               select c.id, ts_rank(c.search_text, $6, 1) as rank from document_chunks c
               where c.tenant_id = $1 and c.active and c.embedding_model = $2
                 and ($3::uuid[] is null or c.collection_id = any($3))
                 and c.search_text @@ plainto_tsquery(''simple'', $4)
               limit $5) s'
      INTO v_found, v_found_ranks USING v_tenant, p_embedding_model, p_collections, v_term, p_per_term, v_query;
    v_ids := v_ids || v_found;
    v_ranks := v_ranks || v_found_ranks;
  END LOOP;
  -- A chunk found by several words has the same rank each time (it is ranked against the whole query).
  RETURN QUERY
    SELECT u.id, max(u.rank) AS rank
    FROM unnest(v_ids, v_ranks) AS u(id, rank)
    GROUP BY u.id
    ORDER BY rank DESC, u.id
    LIMIT p_limit;
END $$;
