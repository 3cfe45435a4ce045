-- The full-text side of hybrid retrieval (keel_text_matches, migration 0014) looks each query word
-- up within one tenant. With the GIN index on search_text alone, a word common across the table
-- (every tenant writes "report") was found in every tenant's chunks first, and the tenant filter
-- applied after: for a large tenant that read thousands of other tenants' rows per word. btree_gin
-- lets the tenant be the index's first column, so the index answers (tenant, word) directly.
-- Measured with `npm run bench:retrieval` (README, "Retrieval"). btree_gin is a trusted extension
-- (a database owner may create it) and PGlite ships it (db/engine.ts loads it).
CREATE EXTENSION IF NOT EXISTS btree_gin;--> statement-breakpoint
DROP INDEX IF EXISTS "document_chunks_search_text_idx";--> statement-breakpoint
CREATE INDEX "document_chunks_search_text_idx" ON "document_chunks" USING gin ("tenant_id", "search_text") WHERE "document_chunks"."active";
