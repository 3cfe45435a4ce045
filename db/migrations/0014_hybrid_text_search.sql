-- Retrieval tuning, measured with `npm run bench:retrieval` (README, "Retrieval"): the full-text
-- side of hybrid retrieval (lib/rag/text-search.ts) as a function, so that it can use the GIN
-- index of 0010, and a better connected HNSW graph.
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
-- Each term is looked up in its own statement, planned with the term's value (EXECUTE … USING is a
-- one-shot plan): a rare term through the GIN index, a common one by reading the scope until
-- p_per_term matches are found. Candidates are then ranked (heading above body, long chunks
-- discounted), best first.
CREATE FUNCTION keel_text_matches(p_terms text[], p_collections uuid[], p_embedding_model text, p_per_term integer, p_limit integer)
RETURNS TABLE (id uuid, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_tenant uuid := keel_current_tenant();
  v_term text;
  v_found uuid[];
  v_ids uuid[] := '{}';
  v_query tsquery;
BEGIN
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'keel_text_matches: no tenant in scope';
  END IF;
  FOREACH v_term IN ARRAY coalesce(p_terms, '{}') LOOP
    EXECUTE 'select coalesce(array_agg(s.id), ''{}'') from (
               select c.id from document_chunks c
               where c.tenant_id = $1 and c.active and c.embedding_model = $2
                 and ($3::uuid[] is null or c.collection_id = any($3))
                 and c.search_text @@ plainto_tsquery(''simple'', $4)
               limit $5) s'
      INTO v_found USING v_tenant, p_embedding_model, p_collections, v_term, p_per_term;
    v_ids := v_ids || v_found;
    v_query := CASE WHEN v_query IS NULL THEN plainto_tsquery('simple', v_term) ELSE v_query || plainto_tsquery('simple', v_term) END;
  END LOOP;
  IF cardinality(v_ids) = 0 THEN
    RETURN;
  END IF;
  RETURN QUERY
    SELECT c.id, ts_rank(c.search_text, v_query, 1) AS rank
    FROM document_chunks c
    WHERE c.id = ANY (v_ids) AND c.tenant_id = v_tenant AND c.active
    ORDER BY rank DESC, c.id
    LIMIT p_limit;
END $$;--> statement-breakpoint
ALTER FUNCTION keel_text_matches(text[], uuid[], text, integer, integer) OWNER TO keel_system;--> statement-breakpoint
REVOKE ALL ON FUNCTION keel_text_matches(text[], uuid[], text, integer, integer) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION keel_text_matches(text[], uuid[], text, integer, integer) TO keel_app;
--> statement-breakpoint

-- ef_construction 256 instead of 128 (m stays 32). Measured over 200,000 clustered vectors in 100
-- tenants (bench:retrieval): with 128, the large tenant's recall@10 was 0.98 on average but some
-- questions found none of their ten true neighbours; with 256 every question found all ten, at the
-- same query latency. The build takes about twice as long (4.3 instead of 2.3 minutes for 200,000
-- vectors here): a deployment with many chunks rebuilds the index while this migration runs.
DROP INDEX "document_chunks_embedding_idx";--> statement-breakpoint
CREATE INDEX "document_chunks_embedding_idx" ON "document_chunks" USING hnsw ("embedding" vector_cosine_ops) WITH (m=32,ef_construction=256);
