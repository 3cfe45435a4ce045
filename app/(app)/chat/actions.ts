"use server";
// Chat's server actions. Asking returns the answer as the AI SDK's UI message stream (React
// serialises the ReadableStream to the browser as each chunk is written; the page's useChat reads it
// through Keel's transport); following does the same for an answer already being written (after a
// reload, or in another tab), wherever it is being written. Asking in a conversation that does not
// exist yet creates it with its first question, so no conversation is ever kept empty.
import { revalidatePath } from "next/cache";
import { redirect, unstable_rethrow } from "next/navigation";
import { z } from "zod";
import { requireTenant } from "@/lib/auth/guard";
import { correctAnswer, correctionSchema, questionSchema, rateAnswer, readMessage, startAnswer, stopAnswer, stopDeletedAnswers } from "@/lib/chat/answers";
import { answerDeps } from "@/lib/chat/answer-deps";
import { answerUIStream } from "@/lib/chat/answer-ui-stream";
import { conversationTitleSchema, deleteConversation, groundingSchema, renameConversation, setGrounding } from "@/lib/chat/conversations";
import type { AskMode, StreamedAnswer } from "@/lib/chat/ui-message";
import { isKeelError } from "@/lib/errors";
import { tenantAction } from "@/lib/http/tenant-action";
import { log } from "@/core/log";
import type { TenantContext } from "@/lib/tenancy/context";

async function guarded(run: (ctx: TenantContext) => Promise<StreamedAnswer>): Promise<StreamedAnswer> {
  try {
    const ctx = await requireTenant();
    return await run(ctx);
  } catch (error) {
    unstable_rethrow(error);
    if (isKeelError(error)) return { ok: false, message: error.message, code: error.code };
    if (error instanceof z.ZodError) return { ok: false, message: error.issues[0]?.message ?? "Check what you typed." };
    log.error({ err: error }, "chat action failed");
    return { ok: false, message: "Something went wrong on our side. Please try again." };
  }
}

const askSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ask"), question: questionSchema }),
  z.object({ kind: z.literal("regenerate") }),
  z.object({ kind: z.literal("edit"), question: questionSchema }),
]);

/** Where a question goes: an existing conversation by id, or (null) a new one grounded as chosen. */
const targetSchema = z.string().max(100).nullable();
const newConversationSchema = z.object({ collectionIds: groundingSchema.default(null) }).default({ collectionIds: null });

export async function askAction(conversationId: string | null, mode: AskMode, newConversation?: { collectionIds: string[] | null }): Promise<StreamedAnswer> {
  return guarded(async (ctx) => {
    const parsedMode = askSchema.parse(mode);
    const target = targetSchema.parse(conversationId) ?? newConversationSchema.parse(newConversation);
    const started = await startAnswer(ctx, target, parsedMode, answerDeps());
    return { ok: true, answerId: started.answerId, conversationId: started.conversationId, stream: answerUIStream(ctx, started.answerId) };
  });
}

export async function followAnswerAction(answerId: string): Promise<StreamedAnswer> {
  return guarded(async (ctx) => {
    const id = z.string().parse(answerId);
    // Checks it is the caller's before any stream starts.
    const message = await readMessage(ctx, id);
    return { ok: true, answerId: id, conversationId: message.conversationId, stream: answerUIStream(ctx, id) };
  });
}

export async function stopAnswerAction(answerId: string): Promise<{ ok: boolean; message?: string }> {
  try {
    const ctx = await requireTenant();
    await stopAnswer(ctx, z.string().parse(answerId));
    return { ok: true };
  } catch (error) {
    unstable_rethrow(error);
    return { ok: false, message: isKeelError(error) ? error.message : "Could not stop the answer." };
  }
}

export async function rateAnswerAction(answerId: string, rating: -1 | 1 | null): Promise<{ ok: boolean; message?: string }> {
  try {
    const ctx = await requireTenant();
    await rateAnswer(ctx, z.string().parse(answerId), z.union([z.literal(-1), z.literal(1), z.null()]).parse(rating));
    return { ok: true };
  } catch (error) {
    unstable_rethrow(error);
    return { ok: false, message: isKeelError(error) ? error.message : "Could not save your rating." };
  }
}

export const correctAnswerAction = tenantAction(z.object({ messageId: z.uuid(), correction: correctionSchema }), {}, async ({ messageId, correction }, ctx) => {
  await correctAnswer(ctx, messageId, correction);
  return { ok: true, message: "Thanks: your correction is saved beside the answer." };
});

export const renameConversationAction = tenantAction(
  z.object({ conversationId: z.uuid(), title: conversationTitleSchema }),
  {},
  async ({ conversationId, title }, ctx) => {
    await renameConversation(ctx, conversationId, title);
    revalidatePath("/chat", "layout");
    return { ok: true, message: "Renamed." };
  },
);

export const deleteConversationAction = tenantAction(z.object({ conversationId: z.uuid() }), {}, async ({ conversationId }, ctx) => {
  const { streamingMessageIds } = await deleteConversation(ctx, conversationId);
  await stopDeletedAnswers(ctx, streamingMessageIds);
  revalidatePath("/chat", "layout");
  redirect("/chat");
});

const groundingFormSchema = z.object({
  conversationId: z.uuid(),
  mode: z.enum(["all", "none", "some"]),
  collectionIds: z.array(z.uuid()).max(50).default([]),
});

export async function setGroundingAction(input: z.input<typeof groundingFormSchema>): Promise<{ ok: boolean; message?: string }> {
  try {
    const ctx = await requireTenant();
    const { conversationId, mode, collectionIds } = groundingFormSchema.parse(input);
    await setGrounding(ctx, conversationId, mode === "all" ? null : mode === "none" ? [] : collectionIds);
    return { ok: true };
  } catch (error) {
    unstable_rethrow(error);
    return { ok: false, message: isKeelError(error) ? error.message : "Could not change the documents used." };
  }
}
