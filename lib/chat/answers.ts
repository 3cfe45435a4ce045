// Asking, regenerating, editing the last question, stopping, following and rating answers. Each
// entry point checks the conversation or message belongs to the caller (row-level security scopes
// it to them as well), so another person's id is simply not found.
import { and, asc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { chatMessages, type ChatMessage } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { storableText } from "@/lib/text/storable";
import type { TenantContext } from "@/lib/tenancy/context";
import { announce, onChatSignal } from "./answer-channel";
import { INTERRUPTED } from "./answer-failures";
import { abortLocally, launchAnswer, runningAnswer, type AnswerDeps } from "./answer-runner";
import { insertConversation, touchConversation } from "./conversations";
import type { AskMode } from "./ui-message";

export const questionSchema = z.string().trim().min(1, "Type a question first.").max(32_000, "That question is too long: keep it under 32,000 characters.");

export type { AskMode };

/** An answer not saved for this long is no longer being written by anyone (its process died). */
const ABANDONED_AFTER_MS = 45_000;

const messageNotFound = () => new KeelError("not_found", "That message does not exist.");

function scoped<T>(ctx: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withTenant(ctx.tenantId, fn, { userId: ctx.userId });
}

/** Marks answers whose writer died as interrupted, so they neither block nor spin forever. */
async function settleAbandoned(tx: Tx, conversationId: string): Promise<void> {
  await tx
    .update(chatMessages)
    .set({ status: "failed", error: INTERRUPTED.message, errorCode: INTERRUPTED.code, updatedAt: new Date() })
    .where(
      and(
        eq(chatMessages.conversationId, conversationId),
        eq(chatMessages.status, "streaming"),
        lt(chatMessages.updatedAt, new Date(Date.now() - ABANDONED_AFTER_MS)),
      ),
    );
}

/** Whether settleAbandoned would mark this message (JavaScript's millisecond times never say so when SQL would not). */
const abandoned = (m: ChatMessage, now: number) => m.status === "streaming" && m.updatedAt.getTime() < now - ABANDONED_AFTER_MS;

function conversationMessages(tx: Tx, ctx: TenantContext, conversationId: string): Promise<ChatMessage[]> {
  return tx
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.conversationId, conversationId), eq(chatMessages.tenantId, ctx.tenantId)))
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.role));
}

export interface StartedAnswer {
  answerId: string;
  userMessageId: string;
  conversationId: string;
}

/** A conversation that does not exist yet: created with its first question, in the same transaction. */
export interface NewConversation {
  /** null: every collection; []: no documents. */
  collectionIds: string[] | null;
}

export async function startAnswer(ctx: TenantContext, target: string | NewConversation, mode: AskMode, deps: AnswerDeps): Promise<StartedAnswer> {
  const question = mode.kind === "regenerate" ? null : storableText(questionSchema.parse(mode.question));
  if (typeof target !== "string" && mode.kind !== "ask") throw new KeelError("conflict", "There is no question to answer again yet.");
  // Few round trips, since each is on the way to the first token: the conversation is locked and
  // marked active by one UPDATE (or created by one INSERT, with nothing in it to read), an abandoned
  // answer is settled only when there is one, and a new question and its answer are inserted together.
  const prepared = await scoped(ctx, async (tx) => {
    const conversation =
      typeof target === "string"
        ? await touchConversation(tx, ctx, target)
        : await insertConversation(tx, ctx, { collectionIds: target.collectionIds, firstQuestion: question! });
    let messages = typeof target === "string" ? await conversationMessages(tx, ctx, conversation.id) : [];
    if (messages.some((m) => abandoned(m, Date.now()))) {
      await settleAbandoned(tx, conversation.id);
      messages = await conversationMessages(tx, ctx, conversation.id);
    }
    if (messages.some((m) => m.status === "streaming")) {
      throw new KeelError("conflict", "An answer is still being written in this conversation. Stop it or wait for it to finish.");
    }
    const owner = { tenantId: ctx.tenantId, userId: ctx.userId, conversationId: conversation.id };
    // The answer is created a moment after its question, so the two always sort question first.
    const streamingAnswer = (after: SQL | Date) => ({ ...owner, role: "assistant" as const, status: "streaming" as const, createdAt: after });
    let userMessage: ChatMessage;
    let earlier: ChatMessage[];
    let answer: ChatMessage | undefined;
    if (mode.kind === "ask") {
      const inserted = await tx
        .insert(chatMessages)
        .values([{ ...owner, role: "user", content: question!, createdAt: sql`now()` }, streamingAnswer(sql`now() + interval '1 millisecond'`)])
        .returning();
      const asked = inserted.find((m) => m.role === "user");
      answer = inserted.find((m) => m.role === "assistant");
      if (!asked) throw new Error("insert returned no row");
      userMessage = asked;
      earlier = messages;
    } else {
      const lastIndex = messages.findLastIndex((m) => m.role === "user");
      const last = messages[lastIndex];
      if (!last) throw new KeelError("conflict", "There is no question to answer again yet.");
      // What followed the last question (its answer) is replaced by the new one. By id: timestamps
      // come back to JavaScript at millisecond precision, coarser than the database keeps them.
      const after = messages.slice(lastIndex + 1).map((m) => m.id);
      if (after.length > 0) await tx.delete(chatMessages).where(and(eq(chatMessages.conversationId, conversation.id), inArray(chatMessages.id, after)));
      if (mode.kind === "edit") {
        const [edited] = await tx.update(chatMessages).set({ content: question!, updatedAt: new Date() }).where(eq(chatMessages.id, last.id)).returning();
        userMessage = edited ?? last;
      } else {
        userMessage = last;
      }
      earlier = messages.slice(0, lastIndex);
      [answer] = await tx
        .insert(chatMessages)
        .values(streamingAnswer(new Date(userMessage.createdAt.getTime() + 1)))
        .returning();
    }
    if (!answer) throw new Error("insert returned no row");
    return {
      conversationId: conversation.id,
      answerId: answer.id,
      userMessageId: userMessage.id,
      question: userMessage.content,
      history: earlier.filter((m) => m.content.length > 0 && m.status !== "failed").map((m) => ({ role: m.role, content: m.correction ?? m.content })),
      collectionIds: conversation.collectionIds,
      nameConversation: !conversation.titled,
    };
  });
  await launchAnswer(
    {
      ctx,
      conversationId: prepared.conversationId,
      answerId: prepared.answerId,
      question: prepared.question,
      history: prepared.history,
      collectionIds: prepared.collectionIds,
      nameConversation: prepared.nameConversation,
      fresh: mode.kind === "regenerate",
    },
    deps,
  );
  return { answerId: prepared.answerId, userMessageId: prepared.userMessageId, conversationId: prepared.conversationId };
}

async function ownMessage(tx: Tx, ctx: TenantContext, messageId: string): Promise<ChatMessage> {
  if (!z.uuid().safeParse(messageId).success) throw messageNotFound();
  const [message] = await tx
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.id, messageId), eq(chatMessages.tenantId, ctx.tenantId), eq(chatMessages.userId, ctx.userId)));
  if (!message) throw messageNotFound();
  return message;
}

export function readMessage(ctx: TenantContext, messageId: string): Promise<ChatMessage> {
  return scoped(ctx, (tx) => ownMessage(tx, ctx, messageId));
}

/** Stops an answer, whichever process writes it. */
export async function stopAnswer(ctx: TenantContext, messageId: string): Promise<void> {
  const message = await readMessage(ctx, messageId);
  if (message.role !== "assistant" || message.status !== "streaming") return;
  if (abortLocally(message.id)) return;
  await scoped(ctx, async (tx) => {
    await announce(tx, { type: "stop", messageId: message.id });
    await settleAbandoned(tx, message.conversationId);
  });
}

/** Stops answers of a conversation just deleted (their rows are gone: nothing to check or save). */
export async function stopDeletedAnswers(ctx: TenantContext, messageIds: string[]): Promise<void> {
  const elsewhere = messageIds.filter((id) => !abortLocally(id));
  if (elsewhere.length === 0) return;
  await scoped(ctx, async (tx) => {
    for (const messageId of elsewhere) await announce(tx, { type: "stop", messageId });
  });
}

/** What followAnswer knows of an answer this process is writing for the caller, until it ends. */
interface RunningRow {
  id: string;
  role: "assistant";
  status: "streaming";
  content: string;
  conversationId: string;
}

export interface AnswerUpdate {
  /** The answer's text so far (whole, not a delta). */
  text: string;
  /** Set once the answer is no longer being written: the final row. */
  final?: ChatMessage;
}

/**
 * The answer as it is written, from wherever it is written: at once from this process's memory,
 * else from the saved row each time its writer announces a save (and every two seconds anyway).
 */
export async function* followAnswer(ctx: TenantContext, messageId: string, signal?: AbortSignal): AsyncGenerator<AnswerUpdate> {
  const local = runningAnswer(messageId);
  // The caller's own answer, being written in this process (as right after asking): its row says
  // nothing the run does not, so it is read only once the run is over. Anyone else's, or an answer
  // written elsewhere, is read (and refused if it is not the caller's) before anything is sent.
  let message: ChatMessage | RunningRow =
    local && local.tenantId === ctx.tenantId && local.userId === ctx.userId
      ? { id: messageId, role: "assistant", status: "streaming", content: "", conversationId: local.conversationId }
      : await readMessage(ctx, messageId);
  if (message.role !== "assistant") throw messageNotFound();
  const queue: AnswerUpdate[] = [];
  let wake: (() => void) | null = null;
  const push = (update: AnswerUpdate | null) => {
    if (update) queue.push(update);
    wake?.();
  };
  const follower = (text: string) => push({ text });
  local?.followers.add(follower);
  const unsubscribe = await onChatSignal((s) => {
    if (s.type === "saved" && s.messageId === message.id) push(null);
  });
  signal?.addEventListener("abort", () => push(null), { once: true });
  // Followed from this process's memory while its writer runs here; from the row after that.
  let writtenHere = local !== undefined;
  try {
    yield { text: local?.text ?? message.content };
    while (!signal?.aborted) {
      if (message.status !== "streaming") return yield { text: message.content, final: message };
      if (writtenHere && !runningAnswer(message.id)) {
        // The local writer finished: its final row is saved. If that save failed for good (the
        // database was out of reach too long), the row still says streaming: it is then followed
        // as anyone else's, at the pace of the row, until the abandoned-answer rule settles it.
        message = await readMessage(ctx, message.id);
        writtenHere = false;
        continue;
      }
      if (queue.length > 0) {
        yield queue.splice(0).at(-1)!;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, writtenHere ? 500 : 2_000);
      });
      wake = null;
      if (!writtenHere) {
        message = await scoped(ctx, async (tx) => {
          await settleAbandoned(tx, message.conversationId);
          return ownMessage(tx, ctx, message.id);
        });
        if (message.status === "streaming") yield { text: message.content };
      }
    }
  } finally {
    local?.followers.delete(follower);
    unsubscribe();
  }
}

export async function rateAnswer(ctx: TenantContext, messageId: string, rating: -1 | 1 | null): Promise<void> {
  await scoped(ctx, async (tx) => {
    const message = await ownMessage(tx, ctx, messageId);
    if (message.role !== "assistant") throw messageNotFound();
    await tx.update(chatMessages).set({ rating }).where(eq(chatMessages.id, message.id));
  });
}

export const correctionSchema = z.string().trim().min(1, "Write the corrected answer.").max(32_000);

export async function correctAnswer(ctx: TenantContext, messageId: string, correction: string): Promise<void> {
  const text = storableText(correctionSchema.parse(correction));
  await scoped(ctx, async (tx) => {
    const message = await ownMessage(tx, ctx, messageId);
    if (message.role !== "assistant" || message.status === "streaming") throw new KeelError("conflict", "Wait for the answer to finish before correcting it.");
    await tx.update(chatMessages).set({ correction: text }).where(eq(chatMessages.id, message.id));
  });
}
