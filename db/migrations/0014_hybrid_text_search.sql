-- Retrieval tuning, measured with `npm run bench:retrieval` (README, "Retrieval"): the full-text
-- side of hybrid retrieval (lib/rag/text-search.ts) as a function, so that it can use the GIN
-- index of 0010 (the function, keel_text_matches, and why it is one: db/functions), and a better
-- connected HNSW graph.

-- ef_construction 256 instead of 128 (m stays 32). Measured over 200,000 clustered vectors in 100
-- tenants (bench:retrieval): with 128, the large tenant's recall@10 was 0.98 on average but some
-- questions found none of their ten true neighbours; with 256 every question found all ten, at the
-- same query latency. The build takes about twice as long (4.3 instead of 2.3 minutes for 200,000
-- vectors here): a deployment with many chunks rebuilds the index while this migration runs.
DROP INDEX "document_chunks_embedding_idx";--> statement-breakpoint
CREATE INDEX "document_chunks_embedding_idx" ON "document_chunks" USING hnsw ("embedding" vector_cosine_ops) WITH (m=32,ef_construction=256);
