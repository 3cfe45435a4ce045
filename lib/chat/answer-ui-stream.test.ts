// The answer as the AI SDK's UI message stream, read with the SDK's own reader (what useChat runs
// in the browser): text as it streams, citations as source parts, Keel's facts as the data-answer
// part; the same message the page builds from the stored rows; and stop at every moment (before
// the first token, mid-stream), marked "stopped" in the stream and the row, and billed only for
// what was delivered. Runs on PostgreSQL (TEST_DATABASE_URL) and on embedded PGlite.
import { readUIMessageStream } from "ai";
import { describe, expect, it } from "vitest";
import { keelModel } from "@/lib/ai";
import { countTokens } from "@/lib/ai/tokens";
import { acceptUpload } from "@/lib/documents/upload";
import { runAnalysis } from "@/test/documents-harness";
import { createTenant } from "@/test/fixtures";
import { eventsOf, newGateway, startFakeProvidersForFile, testConfig } from "@/test/gateway-harness";
import { answerDetails, retrievePassages } from "./answer-deps";
import type { AnswerDeps } from "./answer-runner";
import { answerUIStream } from "./answer-ui-stream";
import { readMessage, startAnswer, stopAnswer } from "./answers";
import { getConversation } from "./conversations";
import { toUIMessage } from "./stored-messages";
import { answerStateOf, citationsOf, textOf, type KeelUIChunk, type KeelUIMessage } from "./ui-message";

const servers = startFakeProvidersForFile();

async function setup() {
  const owner = await createTenant("Chat stream");
  const gateway = newGateway(testConfig(servers.openai, servers.gemini), { sleep: async () => {}, random: () => 0.5 });
  const deps: AnswerDeps = { model: (call, role) => keelModel(call, role, gateway), retrieve: retrievePassages, details: answerDetails };
  return { owner, gateway, deps };
}

async function chunksOf(stream: ReadableStream<KeelUIChunk>): Promise<KeelUIChunk[]> {
  const reader = stream.getReader();
  const chunks: KeelUIChunk[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

/** Every state of the message as the SDK's reader builds it, chunk by chunk. */
async function messagesOf(stream: ReadableStream<KeelUIChunk>): Promise<KeelUIMessage[]> {
  const states: KeelUIMessage[] = [];
  for await (const message of readUIMessageStream<KeelUIMessage>({ stream, terminateOnError: true })) states.push(structuredClone(message));
  return states;
}

describe("an answer's UI message stream", () => {
  it("streams the text as it is written, then the citations as source parts and the outcome as the data-answer part", async () => {
    const { owner, deps } = await setup();
    const { document, request } = await acceptUpload(owner, {
      fileName: "runbook.md",
      bytes: new TextEncoder().encode("# Runbook\n\nThe backup generator at Fenwick is tested every Tuesday at 06:00."),
      collectionId: null,
    });
    await runAnalysis(request);
    servers.openai.script({ kind: "text", text: "The Fenwick generator is tested every Tuesday [1].", chunkDelayMs: 20, usage: { input: 80, output: 9 } });
    const started = await startAnswer(owner, { collectionIds: null }, { kind: "ask", question: "When is the Fenwick generator tested?" }, deps);
    const states = await messagesOf(answerUIStream(owner, started.answerId));

    const final = states.at(-1)!;
    expect(final.id).toBe(started.answerId);
    expect(textOf(final)).toBe("The Fenwick generator is tested every Tuesday [1].");
    // Visible streaming: the text grew through several lengths before it was whole.
    const lengths = [...new Set(states.map((m) => textOf(m).length))];
    expect(lengths.length).toBeGreaterThanOrEqual(4);
    expect(states.some((m) => answerStateOf(m)?.status === "streaming" && textOf(m).length > 0)).toBe(true);
    expect(answerStateOf(final)).toMatchObject({ status: "complete", details: { provider: "openai", inputTokens: 80, outputTokens: 9 } });
    expect(citationsOf(final)).toEqual([expect.objectContaining({ number: 1, documentId: document.id, documentName: "runbook.md" })]);
    const source = final.parts.find((p) => p.type === "source-url");
    expect(source).toMatchObject({ url: expect.stringMatching(new RegExp(`^/documents/${document.id}\\?chunk=\\d+#chunk-\\d+$`)), title: "runbook.md" });

    // The page builds the same message from the stored rows (after a reload).
    const { messages } = await getConversation(owner, started.conversationId);
    const stored = toUIMessage(messages.find((m) => m.id === started.answerId)!);
    expect(textOf(stored)).toBe(textOf(final));
    expect(citationsOf(stored)).toEqual(citationsOf(final));
    expect(answerStateOf(stored)).toEqual(answerStateOf(final));
  });

  it("starts a late follower with the text so far, and closing a stream never stops the answer", async () => {
    const { owner, deps } = await setup();
    const words = Array.from({ length: 24 }, (_, i) => `w${i}`).join(" ");
    servers.openai.script({ kind: "text", text: words, chunkDelayMs: 25 });
    const started = await startAnswer(owner, { collectionIds: [] }, { kind: "ask", question: "Count in words" }, deps);
    const first = answerUIStream(owner, started.answerId).getReader();
    let seen = "";
    while (!seen.includes("w3")) {
      const { value } = await first.read();
      if (value?.type === "text-delta") seen += value.delta;
    }
    await first.cancel(); // the tab was closed
    const chunks = await chunksOf(answerUIStream(owner, started.answerId));
    expect(chunks[0]).toEqual({ type: "start", messageId: started.answerId });
    const deltas = chunks.flatMap((c) => (c.type === "text-delta" ? [c.delta] : []));
    expect(deltas[0]!.startsWith("w0 w1 w2 w3")).toBe(true);
    expect(deltas.join("")).toBe(words);
    expect(chunks.at(-2)).toMatchObject({ type: "data-answer", data: { status: "complete" } });
    expect(chunks.at(-1)).toEqual({ type: "finish" });
  });
});

describe("stop", () => {
  it("works while the model has not said a word: the answer is stored as stopped, empty, with no completion tokens billed", async () => {
    const { owner, gateway, deps } = await setup();
    // The provider takes its time before the first token ("Thinking…" on the page).
    servers.openai.script({ kind: "text", text: "An answer that must never be shown.", delayMs: 300 });
    const started = await startAnswer(owner, { collectionIds: [] }, { kind: "ask", question: "Think hard" }, deps);
    const reading = messagesOf(answerUIStream(owner, started.answerId));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stopAnswer(owner, started.answerId);
    const final = (await reading).at(-1)!;
    expect(answerStateOf(final)?.status).toBe("stopped");
    expect(textOf(final)).toBe("");
    expect(await readMessage(owner, started.answerId)).toMatchObject({ status: "stopped", content: "" });
    await gateway.flush();
    const billed = (await eventsOf(owner.tenantId)).filter((e) => e.requestId === started.answerId);
    // The question may or may not have reached the provider; either way nothing was answered.
    expect(billed.every((e) => e.outputTokens === 0)).toBe(true);
  });

  it("works mid-stream: the text so far is kept, marked stopped, and billed for exactly what was delivered", async () => {
    const { owner, gateway, deps } = await setup();
    const words = Array.from({ length: 80 }, (_, i) => `word${i}`).join(" ");
    servers.openai.script({ kind: "text", text: words, chunkDelayMs: 20, usage: { input: 30, output: 80 } });
    const started = await startAnswer(owner, { collectionIds: [] }, { kind: "ask", question: "Talk for a while" }, deps);
    const reader = answerUIStream(owner, started.answerId).getReader();
    let seen = "";
    while (!seen.includes("word5 ")) {
      const { value } = await reader.read();
      if (value?.type === "text-delta") seen += value.delta;
    }
    await stopAnswer(owner, started.answerId);
    const rest: KeelUIChunk[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest.push(value);
    }
    expect(rest.at(-2)).toMatchObject({ type: "data-answer", data: { status: "stopped" } });
    const stored = await readMessage(owner, started.answerId);
    expect(stored.status).toBe("stopped");
    expect(stored.content.startsWith("word0 word1 word2 word3 word4 word5")).toBe(true);
    expect(stored.content).not.toContain("word79");
    expect(seen + rest.flatMap((c) => (c.type === "text-delta" ? [c.delta] : [])).join("")).toBe(stored.content);
    await gateway.flush();
    const [billed] = (await eventsOf(owner.tenantId)).filter((e) => e.requestId === started.answerId);
    expect(billed).toMatchObject({ status: "partial", errorCode: "client_cancelled" });
    // Not the whole answer's 80 tokens the provider would have reported: what reached the reader.
    expect(billed!.outputTokens).toBe(countTokens(stored.content));
    expect(billed!.outputTokens).toBeLessThan(80);
  });
});
