// Isolation (issue 10, point 8): a conversation and its messages belong to one person in one
// tenant. Every lib entry point a chat server action calls is tried by someone else (a member and
// an admin of the same tenant, a stranger in another tenant, the same person acting in another
// workspace) with every id of the owner's they could send, also mixed with ids of their own; each
// must be "not found", and nothing of the owner's may change, stop or leak.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { collections } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { keelModel } from "@/lib/ai";
import { addMember, createTenant } from "@/test/fixtures";
import { newGateway, startFakeProvidersForFile, testConfig } from "@/test/gateway-harness";
import { answerDetails, retrievePassages } from "./answer-deps";
import { answerUIStream } from "./answer-ui-stream";
import type { AnswerDeps } from "./answer-runner";
import { correctAnswer, followAnswer, rateAnswer, readMessage, startAnswer, stopAnswer, stopDeletedAnswers, type AnswerUpdate } from "./answers";
import { createConversation, deleteConversation, getConversation, listConversations, renameConversation, setGrounding } from "./conversations";
import type { TenantContext } from "@/lib/tenancy/context";

const servers = startFakeProvidersForFile();

async function finalOf(updates: AsyncGenerator<AnswerUpdate>) {
  for await (const update of updates) if (update.final) return update.final;
  throw new Error("the answer never finished");
}

/** The first chunk of a stream (a foreign answer's stream fails before it says anything). */
async function firstChunk<T>(stream: ReadableStream<T>): Promise<T | undefined> {
  return (await stream.getReader().read()).value;
}

const notFound = { code: "not_found" };

/** Every entry point the chat actions call, tried by `other` with the owner's ids. */
async function expectEverythingNotFound(
  other: TenantContext,
  owner: { conversationId: string; answerId: string; questionId: string; streamingId: string },
  deps: AnswerDeps,
) {
  const { conversationId, answerId, questionId, streamingId } = owner;
  // The page and the conversation actions (rename, grounding, delete).
  await expect(getConversation(other, conversationId)).rejects.toMatchObject(notFound);
  await expect(renameConversation(other, conversationId, "Mine now")).rejects.toMatchObject(notFound);
  await expect(setGrounding(other, conversationId, null)).rejects.toMatchObject(notFound);
  await expect(setGrounding(other, conversationId, [])).rejects.toMatchObject(notFound);
  await expect(deleteConversation(other, conversationId)).rejects.toMatchObject(notFound);
  // Asking, regenerating and editing in the owner's conversation.
  await expect(startAnswer(other, conversationId, { kind: "ask", question: "hello" }, deps)).rejects.toMatchObject(notFound);
  await expect(startAnswer(other, conversationId, { kind: "regenerate" }, deps)).rejects.toMatchObject(notFound);
  await expect(startAnswer(other, conversationId, { kind: "edit", question: "rewritten" }, deps)).rejects.toMatchObject(notFound);
  // A message id where a conversation id goes, and the reverse.
  await expect(startAnswer(other, answerId, { kind: "ask", question: "hello" }, deps)).rejects.toMatchObject(notFound);
  await expect(getConversation(other, questionId)).rejects.toMatchObject(notFound);
  // Following (after a reload), stopping, rating and correcting the owner's answers: the finished
  // one, the one being written, and the owner's question.
  for (const id of [answerId, streamingId, questionId, conversationId]) {
    await expect(readMessage(other, id)).rejects.toMatchObject(notFound);
    await expect(followAnswer(other, id).next()).rejects.toMatchObject(notFound);
    await expect(firstChunk(answerUIStream(other, id))).rejects.toMatchObject(notFound);
    await expect(stopAnswer(other, id)).rejects.toMatchObject(notFound);
    await expect(rateAnswer(other, id, -1)).rejects.toMatchObject(notFound);
    await expect(correctAnswer(other, id, "Wrong: it is this.")).rejects.toMatchObject(notFound);
  }
  expect((await listConversations(other)).map((c) => c.id)).not.toContain(conversationId);
  expect(await listConversations(other, { search: "Secret" })).toEqual([]);
}

describe("chat isolation", () => {
  it("a conversation of another user or another tenant is not found through every entry point, whatever id goes where", async () => {
    const owner = await createTenant("Chat isolation");
    // Timeouts long enough for the answer being written to outlast every probe (on PGlite too,
    // where all of them queue on one connection).
    const config = testConfig(servers.openai, servers.gemini, { timeouts: { firstTokenMs: 60_000, idleMs: 60_000, totalMs: 120_000 } });
    const gateway = newGateway(config, { sleep: async () => {}, random: () => 0.5 });
    const deps: AnswerDeps = { model: (call, role) => keelModel(call, role, gateway), retrieve: retrievePassages, details: answerDetails };

    // The owner: a finished answer in one conversation, an answer still being written in another.
    const slow = Array.from({ length: 600 }, (_, i) => `w${i}`).join(" ");
    servers.openai.script(
      { kind: "text", text: "Secret answer." },
      { kind: "text", text: "Secret plans" },
      { kind: "text", text: slow, chunkDelayMs: 100 },
      { kind: "text", text: "Other title" },
    );
    const conversation = await createConversation(owner, { collectionIds: [] });
    const first = await startAnswer(owner, conversation.id, { kind: "ask", question: "Secret question" }, deps);
    await finalOf(followAnswer(owner, first.answerId));
    await expect.poll(async () => (await getConversation(owner, conversation.id)).conversation.title).toBe("Secret plans");
    const busy = await createConversation(owner, { collectionIds: [] });
    const streaming = await startAnswer(owner, busy.id, { kind: "ask", question: "Talk slowly" }, deps);
    await expect.poll(async () => (await readMessage(owner, streaming.answerId)).content, { timeout: 20_000 }).toMatch(/^w0 /);

    const member = await addMember(owner, "member");
    const admin = await addMember(owner, "admin");
    const stranger = await createTenant("Chat isolation stranger");
    // The owner's own user id, acting in a workspace where the conversation does not live.
    const ownerElsewhere: TenantContext = { userId: owner.userId, tenantId: stranger.tenantId, role: "member" };
    // The stranger has a conversation of their own: their ids mixed with the owner's change nothing.
    const strangerConversation = await createConversation(stranger, { collectionIds: [] });

    for (const other of [member, admin, stranger, ownerElsewhere]) {
      await expectEverythingNotFound(
        other,
        { conversationId: conversation.id, answerId: first.answerId, questionId: first.userMessageId, streamingId: streaming.answerId },
        deps,
      );
      await expect(stopAnswer(other, streaming.answerId)).rejects.toMatchObject(notFound);
    }
    // Their own conversation grounded in the owner's tenant's collection: only a colleague may
    // (collections are the tenant's); a stranger's id for it is not found.
    const [ownerCollection] = await withTenant(owner.tenantId, (tx) => tx.select().from(collections).where(eq(collections.tenantId, owner.tenantId)));
    await expect(setGrounding(stranger, strangerConversation.id, [ownerCollection!.id])).rejects.toMatchObject(notFound);
    const memberConversation = await createConversation(member, { collectionIds: [ownerCollection!.id] });
    expect(memberConversation.collectionIds).toEqual([ownerCollection!.id]);
    // A stop request for the owner's streaming answer sent only after someone else "deleted" their
    // own conversation: stopDeletedAnswers is fed only ids the delete found in the caller's rows.
    expect(await deleteConversation(stranger, strangerConversation.id)).toEqual({ streamingMessageIds: [] });
    await stopDeletedAnswers(stranger, []);

    // Nothing of the owner's changed: the answer being written is still being written (no one
    // else's stop reached it), and its owner can stop it.
    const during = await readMessage(owner, streaming.answerId);
    expect(during.status).toBe("streaming");
    await stopAnswer(owner, streaming.answerId);
    const written = await finalOf(followAnswer(owner, streaming.answerId));
    expect(written.status).toBe("stopped");
    expect(written.content).toMatch(/^w0 /);
    const { conversation: after, messages } = await getConversation(owner, conversation.id);
    expect(after.title).toBe("Secret plans");
    expect(after.collectionIds).toEqual([]);
    expect(messages.map((m) => [m.role, m.content, m.rating, m.correction])).toEqual([
      ["user", "Secret question", null, null],
      ["assistant", "Secret answer.", null, null],
    ]);
    expect((await listConversations(owner)).map((c) => c.id).sort()).toEqual([conversation.id, busy.id].sort());
  }, 120_000);

  it("malformed ids are not found, never a database error", async () => {
    const owner = await createTenant("Chat malformed ids");
    const config = testConfig(servers.openai, servers.gemini);
    const deps: AnswerDeps = { model: (call, role) => keelModel(call, role, newGateway(config)), retrieve: retrievePassages, details: answerDetails };
    for (const id of ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "1; drop table chat_messages"]) {
      await expect(getConversation(owner, id)).rejects.toMatchObject(notFound);
      await expect(renameConversation(owner, id, "x")).rejects.toMatchObject(notFound);
      await expect(deleteConversation(owner, id)).rejects.toMatchObject(notFound);
      await expect(setGrounding(owner, id, null)).rejects.toMatchObject(notFound);
      await expect(startAnswer(owner, id, { kind: "ask", question: "hi" }, deps)).rejects.toMatchObject(notFound);
      await expect(readMessage(owner, id)).rejects.toMatchObject(notFound);
      await expect(stopAnswer(owner, id)).rejects.toMatchObject(notFound);
      await expect(rateAnswer(owner, id, 1)).rejects.toMatchObject(notFound);
      await expect(correctAnswer(owner, id, "x")).rejects.toMatchObject(notFound);
    }
  });
});
