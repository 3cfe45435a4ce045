// Documents: collections (the retrieval namespace), the documents in them, and their chunks with
// embeddings. A document's chunks are versioned: an analysis (or a re-embedding) builds a new
// version beside the current one, and the document switches over in one transaction when the new
// version is complete, so retrieval never sees a half-built document.
import { sql } from "drizzle-orm";
import { bigint, boolean, customType, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid, vector } from "drizzle-orm/pg-core";
import { EMBEDDING_DIMENSIONS } from "./ai";
import { users } from "./auth";
import { tenants } from "./tenancy";

export const collections = pgTable(
  "collections",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Every tenant has exactly one: where uploads go unless the user picks another. */
    isDefault: boolean("is_default").notNull().default(false),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("collections_tenant_name_idx").on(t.tenantId, sql`lower(${t.name})`),
    uniqueIndex("collections_one_default_idx")
      .on(t.tenantId)
      .where(sql`${t.isDefault}`),
  ],
);
export type Collection = typeof collections.$inferSelect;
export type NewCollection = typeof collections.$inferInsert;

export const documentKinds = ["pdf", "docx", "markdown", "text", "html"] as const;
export type DocumentKind = (typeof documentKinds)[number];
export const documentKind = pgEnum("document_kind", documentKinds);

export const documentStatuses = ["queued", "processing", "ready", "failed", "cancelled"] as const;
export type DocumentStatus = (typeof documentStatuses)[number];
export const documentStatus = pgEnum("document_status", documentStatuses);

/** The structured analysis, validated before it is stored (lib/documents/analysis-schema.ts). */
export interface DocumentAnalysis {
  summary: string;
  keyPoints: string[];
  entities: { name: string; type: string }[];
  language: string;
}

export const documents = pgTable(
  "documents",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    collectionId: uuid("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    /** The uploader's file name, made safe for display (never used as a path). */
    name: text("name").notNull(),
    kind: documentKind("kind").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    /** Where the original is kept (lib/storage): derived from ids, never from the name. */
    storageKey: text("storage_key").notNull(),
    status: documentStatus("status").notNull().default("queued"),
    /** The version being built (or last built); chunks of `activeVersion` are the searchable ones. */
    version: integer("version").notNull().default(1),
    activeVersion: integer("active_version"),
    pageCount: integer("page_count"),
    language: text("language"),
    tokenCount: integer("token_count"),
    chunkCount: integer("chunk_count"),
    analysis: jsonb("analysis").$type<DocumentAnalysis>(),
    /** Why the last analysis failed, in words a person can act on. */
    error: text("error"),
    errorCode: text("error_code"),
    uploadedBy: uuid("uploaded_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    analyzedAt: timestamp("analyzed_at", { withTimezone: true }),
  },
  (t) => [
    index("documents_tenant_created_idx").on(t.tenantId, t.createdAt),
    index("documents_collection_idx").on(t.collectionId),
    // The duplicate check: the same content in the same collection (migration 0020).
    index("documents_content_idx").on(t.tenantId, t.collectionId, t.sha256),
  ],
);
export type Document = typeof documents.$inferSelect;
export type NewDocument = typeof documents.$inferInsert;

/**
 * Uploads being received (lib/documents/upload.ts): written before the body is read, deleted when
 * it ends. They count each person's uploads in flight across processes and hold their declared
 * bytes against the storage quota; a row a crashed process left stops counting at `expiresAt`.
 */
export const uploadReservations = pgTable(
  "upload_reservations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("upload_reservations_tenant_user_idx").on(t.tenantId, t.userId, t.expiresAt)],
);
export type UploadReservation = typeof uploadReservations.$inferSelect;

/** Postgres full-text search vector (drizzle has no built-in type for it). */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const documentChunks = pgTable(
  "document_chunks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    documentId: uuid("document_id")
      .notNull()
      .references(() => documents.id, { onDelete: "cascade" }),
    /** Copied from the document so a filtered vector search needs no join. */
    collectionId: uuid("collection_id").notNull(),
    version: integer("version").notNull(),
    chunkIndex: integer("chunk_index").notNull(),
    content: text("content").notNull(),
    /** The nearest heading above the chunk, repeated so each chunk stands on its own. */
    heading: text("heading"),
    pageStart: integer("page_start"),
    pageEnd: integer("page_end"),
    tokenCount: integer("token_count").notNull(),
    contentHash: text("content_hash").notNull(),
    /** Stored inline (STORAGE MAIN, migration 0010): a scan must not fetch each vector from TOAST. */
    embedding: vector("embedding", { dimensions: EMBEDDING_DIMENSIONS }),
    embeddingModel: text("embedding_model"),
    /** `contentHash` when `embedding` was computed: differing, the vector is stale (lib/documents/reembed). */
    embeddedHash: text("embedded_hash"),
    /**
     * Blue/green re-embedding: the next vector, written beside the live one and swapped in for the
     * whole document at once when all of its chunks have one (lib/documents/reembed/switch-over.ts).
     */
    nextEmbedding: vector("next_embedding", { dimensions: EMBEDDING_DIMENSIONS }),
    nextEmbeddingModel: text("next_embedding_model"),
    nextEmbeddedHash: text("next_embedded_hash"),
    /** True for the document's active version only: what retrieval searches. */
    active: boolean("active").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * Hybrid retrieval's full-text side (migration 0010). The 'simple' configuration, whatever the
     * document's language: see "Retrieval" in the README for why.
     */
    searchText: tsvector("search_text").generatedAlwaysAs(
      sql`setweight(to_tsvector('simple'::regconfig, coalesce(heading, '')), 'A') || setweight(to_tsvector('simple'::regconfig, content), 'B')`,
    ),
  },
  (t) => [
    uniqueIndex("document_chunks_version_idx").on(t.documentId, t.version, t.chunkIndex),
    // What retrieval counts to size a search (tenant, collections, model): an index-only scan.
    index("document_chunks_search_scope_idx")
      .on(t.tenantId, t.collectionId, t.embeddingModel)
      .where(sql`${t.active}`),
    // m 32 / ef_construction 256 (migrations 0010, 0014): with the defaults (16 / 64), and still
    // with 128, the graph over clustered vectors left some clusters unreachable (recall@10 of 0 for
    // some queries; README, "Retrieval").
    index("document_chunks_embedding_idx").using("hnsw", t.embedding.op("vector_cosine_ops")).with({ m: 32, ef_construction: 256 }),
    // Tenant first (btree_gin, migration 0060): a word common in other tenants' chunks costs nothing.
    index("document_chunks_search_text_idx")
      .using("gin", t.tenantId, t.searchText)
      .where(sql`${t.active}`),
    index("document_chunks_shadow_idx")
      .on(t.tenantId, t.documentId)
      .where(sql`${t.nextEmbedding} is not null`),
  ],
);
export type DocumentChunk = typeof documentChunks.$inferSelect;
export type NewDocumentChunk = typeof documentChunks.$inferInsert;
