// A person's conversations within the tenant: list (with title search), create, rename, choose
// what answers are grounded in, delete. Row-level security limits every query to the caller's own
// conversations in the active tenant; the queries say so too, so a foreign id is simply not found.
import { and, asc, desc, eq, ilike, inArray } from "drizzle-orm";
import { z } from "zod";
import { chatMessages, collections, conversations, type ChatMessage, type Conversation } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { truncateAtWord } from "@/lib/text/truncate";
import type { TenantContext } from "@/lib/tenancy/context";

export const conversationTitleSchema = z
  .string()
  .trim()
  .min(1, "Give the conversation a title.")
  .max(120, "Keep the title under 120 characters.")
  .transform((title) => title.replace(/[\u0000-\u001f\u007f]+/g, " "));

/** Grounding: every collection (null), none (empty list), or the ones named. */
export const groundingSchema = z.array(z.uuid()).max(50).nullable();

const notFound = () => new KeelError("not_found", "That conversation does not exist.");

function scoped<T>(ctx: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withTenant(ctx.tenantId, fn, { userId: ctx.userId });
}

const owned = (ctx: TenantContext, conversationId: string) =>
  and(eq(conversations.id, conversationId), eq(conversations.tenantId, ctx.tenantId), eq(conversations.userId, ctx.userId));

export function listConversations(ctx: TenantContext, options: { search?: string; limit?: number } = {}): Promise<Conversation[]> {
  const search = options.search?.trim().slice(0, 120);
  return scoped(ctx, (tx) =>
    tx
      .select()
      .from(conversations)
      .where(
        and(
          eq(conversations.tenantId, ctx.tenantId),
          eq(conversations.userId, ctx.userId),
          search ? ilike(conversations.title, `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : undefined,
        ),
      )
      .orderBy(desc(conversations.updatedAt))
      .limit(Math.min(options.limit ?? 100, 500)),
  );
}

/** A conversation's title in the list until it is named: its first question, cut at a word. */
export const TITLE_FROM_QUESTION_CHARS = 60;

/**
 * Creates a conversation in the caller's transaction. The page creates one only with its first
 * question (in the same transaction), so a conversation without messages is never kept.
 */
export async function insertConversation(
  tx: Tx,
  ctx: TenantContext,
  options: { collectionIds?: string[] | null; firstQuestion?: string } = {},
): Promise<Conversation> {
  const collectionIds = groundingSchema.parse(options.collectionIds ?? null);
  const checked = collectionIds ? await ownCollections(tx, ctx, collectionIds) : null;
  const title = options.firstQuestion ? truncateAtWord(options.firstQuestion, TITLE_FROM_QUESTION_CHARS) : undefined;
  const [created] = await tx
    .insert(conversations)
    .values({ tenantId: ctx.tenantId, userId: ctx.userId, collectionIds: checked, ...(title ? { title } : {}) })
    .returning();
  if (!created) throw new Error("insert returned no row");
  return created;
}

/** An empty conversation (tests and benchmarks seed these; the page starts one with its first question). */
export function createConversation(ctx: TenantContext, options: { collectionIds?: string[] | null } = {}): Promise<Conversation> {
  return scoped(ctx, (tx) => insertConversation(tx, ctx, options));
}

/** Keeps only ids of the tenant's own collections (an id from elsewhere grounds nothing). */
async function ownCollections(tx: Tx, ctx: TenantContext, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx
    .select({ id: collections.id })
    .from(collections)
    .where(and(eq(collections.tenantId, ctx.tenantId), inArray(collections.id, ids)));
  if (rows.length !== new Set(ids).size) throw new KeelError("not_found", "One of those collections does not exist.");
  return rows.map((r) => r.id);
}

export interface ConversationWithMessages {
  conversation: Conversation;
  messages: ChatMessage[];
}

// Async so a malformed id rejects like any other unknown one (a synchronous throw escaped the
// page's `.catch` and became a 500 instead of a 404).
export async function getConversation(ctx: TenantContext, conversationId: string): Promise<ConversationWithMessages> {
  if (!z.uuid().safeParse(conversationId).success) throw notFound();
  return scoped(ctx, async (tx) => {
    const [conversation] = await tx.select().from(conversations).where(owned(ctx, conversationId));
    if (!conversation) throw notFound();
    const messages = await tx
      .select()
      .from(chatMessages)
      .where(and(eq(chatMessages.conversationId, conversation.id), eq(chatMessages.tenantId, ctx.tenantId)))
      .orderBy(asc(chatMessages.createdAt), asc(chatMessages.role));
    return { conversation, messages };
  });
}

/** Locks the caller's conversation for a change; not found if it is anyone else's. */
async function lockConversation(tx: Tx, ctx: TenantContext, conversationId: string): Promise<Conversation> {
  if (!z.uuid().safeParse(conversationId).success) throw notFound();
  const [conversation] = await tx.select().from(conversations).where(owned(ctx, conversationId)).for("update");
  if (!conversation) throw notFound();
  return conversation;
}

/**
 * Locks the caller's conversation by marking it active now (an UPDATE takes the row lock a
 * SELECT … FOR UPDATE would), in one round trip; not found if it is anyone else's.
 */
export async function touchConversation(tx: Tx, ctx: TenantContext, conversationId: string): Promise<Conversation> {
  if (!z.uuid().safeParse(conversationId).success) throw notFound();
  const [conversation] = await tx.update(conversations).set({ updatedAt: new Date() }).where(owned(ctx, conversationId)).returning();
  if (!conversation) throw notFound();
  return conversation;
}

export function renameConversation(ctx: TenantContext, conversationId: string, rawTitle: string): Promise<Conversation> {
  const title = conversationTitleSchema.parse(rawTitle);
  return scoped(ctx, async (tx) => {
    await lockConversation(tx, ctx, conversationId);
    const [renamed] = await tx.update(conversations).set({ title, titled: true, updatedAt: new Date() }).where(owned(ctx, conversationId)).returning();
    if (!renamed) throw notFound();
    return renamed;
  });
}

export function setGrounding(ctx: TenantContext, conversationId: string, collectionIds: string[] | null): Promise<Conversation> {
  const wanted = groundingSchema.parse(collectionIds);
  return scoped(ctx, async (tx) => {
    await lockConversation(tx, ctx, conversationId);
    const checked = wanted ? await ownCollections(tx, ctx, wanted) : null;
    const [updated] = await tx.update(conversations).set({ collectionIds: checked }).where(owned(ctx, conversationId)).returning();
    if (!updated) throw notFound();
    return updated;
  });
}

/** Deletes the conversation with its messages; returns the ids of answers still streaming (to stop). */
export function deleteConversation(ctx: TenantContext, conversationId: string): Promise<{ streamingMessageIds: string[] }> {
  return scoped(ctx, async (tx) => {
    await lockConversation(tx, ctx, conversationId);
    const streaming = await tx
      .select({ id: chatMessages.id })
      .from(chatMessages)
      .where(and(eq(chatMessages.conversationId, conversationId), eq(chatMessages.status, "streaming")));
    await tx.delete(conversations).where(owned(ctx, conversationId));
    return { streamingMessageIds: streaming.map((m) => m.id) };
  });
}
