// Chat: each person's conversations within a tenant and their messages. An answer is a message
// row from the moment it starts: its text grows as it streams (so a reload, or another tab, picks
// it up where it is) and its status says whether it is still being written. Row-level security
// scopes both tables to the tenant and to the person who owns the conversation.
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { tenants } from "./tenancy";

export const conversations = pgTable(
  "conversations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull().default("New conversation"),
    /** False until the title role has named it from the first question (a user rename sets it too). */
    titled: boolean("titled").notNull().default(false),
    /** Collections answers are grounded in: null means all of the tenant's; an empty list means none. */
    collectionIds: uuid("collection_ids").array(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("conversations_owner_idx").on(t.tenantId, t.userId, t.updatedAt)],
);
export type Conversation = typeof conversations.$inferSelect;

export const messageRoles = ["user", "assistant"] as const;
export type MessageRole = (typeof messageRoles)[number];
export const messageRole = pgEnum("chat_message_role", messageRoles);

export const messageStatuses = ["streaming", "complete", "stopped", "failed"] as const;
export type MessageStatus = (typeof messageStatuses)[number];
export const messageStatus = pgEnum("chat_message_status", messageStatuses);

/** A passage an answer cites, numbered as the answer cites it ([1], [2], ...). */
export interface Citation {
  number: number;
  documentId: string;
  documentName: string;
  chunkIndex: number;
  page: number | null;
  excerpt: string;
}

/** Who answered and what it cost, shown under the answer. */
export interface AnswerDetails {
  provider?: string;
  model?: string;
  fallback?: boolean;
  offline?: boolean;
  cacheHit?: boolean;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  /** The soft limit was passed with this answer. */
  softLimitReached?: boolean;
}

export const chatMessages = pgTable(
  "chat_messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    /** The conversation's owner (denormalised so row-level security can check it on its own). */
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: messageRole("role").notNull(),
    content: text("content").notNull().default(""),
    status: messageStatus("status").notNull().default("complete"),
    /** Why an answer failed, in words a person can act on; with a code for the UI (quota, provider). */
    error: text("error"),
    errorCode: text("error_code"),
    citations: jsonb("citations")
      .$type<Citation[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    details: jsonb("details")
      .$type<AnswerDetails>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** +1 thumbs up, -1 thumbs down. */
    rating: integer("rating"),
    /** The person's correction, kept beside the original answer. */
    correction: text("correction"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("chat_messages_conversation_idx").on(t.conversationId, t.createdAt), index("chat_messages_tenant_feedback_idx").on(t.tenantId, t.createdAt)],
);
export type ChatMessage = typeof chatMessages.$inferSelect;
