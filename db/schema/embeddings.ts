// Provider batches of a re-embedding (OpenAI Batch API). A row is written before the provider is
// asked, so a step that dies between creating the batch and remembering it finds it again.
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { jobs } from "./jobs";
import { tenants } from "./tenancy";

export const embeddingBatchStatuses = ["submitting", "submitted", "applied", "failed", "cancelled"] as const;
export type EmbeddingBatchStatus = (typeof embeddingBatchStatuses)[number];

export const embeddingBatches = pgTable(
  "embedding_batches",
  {
    /** Derived from the job and round, so a replayed step finds its own row. */
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    jobId: uuid("job_id").references(() => jobs.id, { onDelete: "set null" }),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    status: text("status").$type<EmbeddingBatchStatus>().notNull().default("submitting"),
    providerBatchId: text("provider_batch_id"),
    inputFileId: text("input_file_id"),
    outputFileId: text("output_file_id"),
    requestCount: integer("request_count").notNull(),
    estimatedTokens: bigint("estimated_tokens", { mode: "number" }).notNull(),
    /** The quota reservation held for the batch (lib/ai/quota.ts Reservation), settled when applied. */
    reservation: jsonb("reservation"),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("embedding_batches_tenant_status_idx").on(t.tenantId, t.status),
    check("embedding_batches_status_check", sql`${t.status} IN ('submitting', 'submitted', 'applied', 'failed', 'cancelled')`),
  ],
);
export type EmbeddingBatch = typeof embeddingBatches.$inferSelect;
export type NewEmbeddingBatch = typeof embeddingBatches.$inferInsert;
