// Stored responses of the Responses API (migration 0038): what a later request continues with
// previous_response_id. Items are kept in OpenAI's wire shape.
import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apiKeys } from "./ai";
import { tenants } from "./tenancy";

export const apiResponses = pgTable(
  "api_responses",
  {
    /** `resp_` and 32 hex digits. */
    id: text("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    apiKeyId: uuid("api_key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    previousResponseId: text("previous_response_id"),
    model: text("model").notNull(),
    /** This request's input items (instructions are not carried over, as at OpenAI). */
    inputItems: jsonb("input_items").$type<unknown[]>().notNull(),
    outputItems: jsonb("output_items").$type<unknown[]>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("api_responses_tenant_created_idx").on(t.tenantId, t.createdAt)],
);
export type ApiResponse = typeof apiResponses.$inferSelect;
