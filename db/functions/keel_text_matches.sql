-- The full-text side of hybrid retrieval (lib/rag/text-search.ts), measured with
-- `npm run bench:retrieval`.
--
-- Why a function: under row-level security PostgreSQL evaluates the policy's condition before any
-- of the query's own that is not leakproof, and `@@` (ts_match_vq) is not leakproof, so as
-- keel_app the planner may not use the GIN index for `search_text @@ query`: a word the tenant's
-- chunks do not contain was looked for by reading the whole table (644 ms with 200,000 chunks; the
-- same search through this function, 0.4 ms). keel_system's policy is `true`, which leaves
-- nothing to order `@@` after, so the index is usable there.
--
-- Why it stays inside the tenant: it runs as keel_system (SECURITY DEFINER, owned by that role,
-- which owns no table and cannot bypass row-level security) and takes the tenant from the
-- transaction's app.tenant_id, the setting every keel_app policy reads, never from a parameter; with
-- none set it refuses. Every statement in it filters by that tenant. Only keel_app may call it.
--
-- Each word is looked up in its own statement, planned with the word's value (EXECUTE … USING is a
-- one-shot plan): a rare word through the GIN index, a common one by reading the scope until
-- p_per_term matches are found. The lookups read each candidate's tsvector to check the match, so
-- they rank it there too, against the whole query, in one pass: chunks matching any word, best
-- first (heading above body, long chunks discounted), ties by id.
CREATE OR REPLACE FUNCTION public.keel_text_matches(p_terms text[], p_collections uuid[], p_embedding_model text, p_per_term integer, p_limit integer)
 RETURNS TABLE(id uuid, rank real)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
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
END $function$;

-- Its owner and grants are part of the function: they are re-applied with it (and so survive a
-- drop and re-create after a signature change).
ALTER FUNCTION public.keel_text_matches(text[], uuid[], text, integer, integer) OWNER TO keel_system;
REVOKE ALL ON FUNCTION public.keel_text_matches(text[], uuid[], text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.keel_text_matches(text[], uuid[], text, integer, integer) TO keel_app;
