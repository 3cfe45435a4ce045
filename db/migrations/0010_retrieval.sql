-- Retrieval (lib/rag): a scope index to size a search, vectors kept in their rows, a better
-- connected HNSW graph, and full-text search for hybrid mode. Every choice below was measured
-- with `npm run bench:retrieval` (README, "Retrieval").

-- The scope of a search is (tenant, collections, embedding model) over active chunks. Counting it
-- (bounded) decides between exact search and the HNSW index; with the model in the index the count
-- is an index-only scan. Replaces the (tenant_id, collection_id) index of 0007.
DROP INDEX "document_chunks_tenant_collection_idx";--> statement-breakpoint
CREATE INDEX "document_chunks_search_scope_idx" ON "document_chunks" USING btree ("tenant_id","collection_id","embedding_model") WHERE "document_chunks"."active";--> statement-breakpoint

-- Keep each vector in its row. pgvector's type is stored EXTERNAL by default, and a chunk's row
-- (~600 tokens of text, its tsvector, a 1.5 kB vector) is over the 2 kB TOAST threshold, so
-- PostgreSQL moved the largest value out of line, which was often the vector: every distance
-- computed in a scan then fetched it back from the TOAST table (6 buffer reads per row instead of
-- a fraction of one). MAIN keeps it inline and moves the text out. Applies to rows written from
-- now on (the table is new enough that none are worth rewriting).
ALTER TABLE "document_chunks" ALTER COLUMN "embedding" SET STORAGE MAIN;--> statement-breakpoint

-- m 32 and ef_construction 128 instead of the defaults (16, 64): over clustered vectors (chunks
-- of a document close together, documents of a topic, topics apart) the default graph left some
-- clusters unreachable, so a few queries in three hundred found none of their ten true neighbours
-- at any ef_search; this graph found them all at ef_search 40. The table is empty or small here.
DROP INDEX "document_chunks_embedding_idx";--> statement-breakpoint
CREATE INDEX "document_chunks_embedding_idx" ON "document_chunks" USING hnsw ("embedding" vector_cosine_ops) WITH (m=32,ef_construction=128);--> statement-breakpoint

-- Full-text side of hybrid retrieval, with the heading weighted above the body. The 'simple'
-- configuration (lower-casing, no stemming, no stop words) for every language: one index serves
-- documents in any language, and a question need not be in its documents' language. Stemming and
-- paraphrase are the vector side's job; this side finds exact terms (names, codes, rare words).
ALTER TABLE "document_chunks" ADD COLUMN "search_text" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple'::regconfig, coalesce(heading, '')), 'A') || setweight(to_tsvector('simple'::regconfig, content), 'B')) STORED;--> statement-breakpoint
CREATE INDEX "document_chunks_search_text_idx" ON "document_chunks" USING gin ("search_text") WHERE "document_chunks"."active";
