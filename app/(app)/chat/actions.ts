"use server";
// Chat's server actions. Asking returns the answer as the AI SDK's UI message stream (React
// serialises the ReadableStream to the browser as each chunk is written; the page's useChat reads it
// through Keel's transport); following does the same for an answer already being written (after a
// reload, or in another tab), wherever it is being written. Asking in a conversation that does not
// exist yet creates it with its first question, so no conversation is ever kept empty.
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { correctAnswer, correctionSchema, questionSchema, rateAnswer, readMessage, startAnswer, stopAnswer, stopDeletedAnswers } from "@/lib/chat/answers";
import { answerDeps } from "@/lib/chat/answer-deps";
import { answerUIStream } from "@/lib/chat/answer-ui-stream";
import { conversationTitleSchema, deleteConversation, groundingSchema, renameConversation, setGrounding } from "@/lib/chat/conversations";
import type { AskMode, StreamedAnswer } from "@/lib/chat/ui-message";
import { chatAction } from "@/lib/http/chat-action";
import { tenantAction } from "@/lib/http/tenant-action";

const askSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ask"), question: questionSchema }),
  z.object({ kind: z.literal("regenerate") }),
  z.object({ kind: z.literal("edit"), question: questionSchema }),
]);

/** Where a question goes: an existing conversation by id, or (null) a new one grounded as chosen. */
const targetSchema = z.string().max(100).nullable();
const newConversationSchema = z.object({ collectionIds: groundingSchema.default(null) }).default({ collectionIds: null });

const unexpected = "Something went wrong on our side. Please try again.";

export const askAction = chatAction(
  { role: "member", failure: unexpected },
  async (ctx, conversationId: string | null, mode: AskMode, newConversation?: { collectionIds: string[] | null }): Promise<StreamedAnswer> => {
    const parsedMode = askSchema.parse(mode);
    const target = targetSchema.parse(conversationId) ?? newConversationSchema.parse(newConversation);
    const started = await startAnswer(ctx, target, parsedMode, answerDeps());
    return { ok: true, answerId: started.answerId, conversationId: started.conversationId, stream: answerUIStream(ctx, started.answerId) };
  },
);

export const followAnswerAction = chatAction({ role: "member", failure: unexpected }, async (ctx, answerId: string): Promise<StreamedAnswer> => {
  const id = z.string().parse(answerId);
  // Checks it is the caller's before any stream starts.
  const message = await readMessage(ctx, id);
  return { ok: true, answerId: id, conversationId: message.conversationId, stream: answerUIStream(ctx, id) };
});

export const stopAnswerAction = chatAction({ role: "member", failure: "Could not stop the answer." }, async (ctx, answerId: string) => {
  await stopAnswer(ctx, z.string().parse(answerId));
  return { ok: true } as const;
});

export const rateAnswerAction = chatAction({ role: "member", failure: "Could not save your rating." }, async (ctx, answerId: string, rating: -1 | 1 | null) => {
  await rateAnswer(ctx, z.string().parse(answerId), z.union([z.literal(-1), z.literal(1), z.null()]).parse(rating));
  return { ok: true } as const;
});

export const correctAnswerAction = tenantAction(
  z.object({ messageId: z.uuid(), correction: correctionSchema }),
  { role: "member" },
  async ({ messageId, correction }, ctx) => {
    await correctAnswer(ctx, messageId, correction);
    return { ok: true, message: "Thanks: your correction is saved beside the answer." };
  },
);

export const renameConversationAction = tenantAction(
  z.object({ conversationId: z.uuid(), title: conversationTitleSchema }),
  { role: "member" },
  async ({ conversationId, title }, ctx) => {
    await renameConversation(ctx, conversationId, title);
    revalidatePath("/chat", "layout");
    return { ok: true, message: "Renamed." };
  },
);

export const deleteConversationAction = tenantAction(z.object({ conversationId: z.uuid() }), { role: "member" }, async ({ conversationId }, ctx) => {
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

export const setGroundingAction = chatAction(
  { role: "member", failure: "Could not change the documents used." },
  async (ctx, input: z.input<typeof groundingFormSchema>) => {
    const { conversationId, mode, collectionIds } = groundingFormSchema.parse(input);
    await setGrounding(ctx, conversationId, mode === "all" ? null : mode === "none" ? [] : collectionIds);
    return { ok: true } as const;
  },
);
