-- pgvector: every later context (documents, caches) stores embeddings. drizzle-kit does not emit this.
CREATE EXTENSION IF NOT EXISTS vector;
