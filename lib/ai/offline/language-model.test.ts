import { generateText, streamText } from "ai";
import { describe, expect, it } from "vitest";
import { countTokens } from "../tokens";
import { OFFLINE_NO_ANSWER, OfflineLanguageModel } from "./index";
import { DOC, SYSTEM } from "./sample-document";

async function ask(question: string, context = DOC): Promise<string> {
  const { text } = await generateText({
    model: new OfflineLanguageModel(),
    system: SYSTEM,
    prompt: `${question}\n\nContext:\n${context}`,
  });
  return text;
}

async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader();
  const out: T[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

describe("OfflineLanguageModel (text)", () => {
  it("answers extractively from the best matching sentences", async () => {
    expect(await ask("Where is the headquarters of Acme?")).toBe("Its headquarters moved to Munich in 2012.");
    expect(await ask("Who founded Acme, and when?")).toBe("Acme Corp was founded in 1999 by Jane Doe in Berlin.");
    expect(await ask("What sensors does the company make?")).toBe("The company makes industrial sensors for wind turbines.");
  });

  it("returns up to three sentences in their original order", async () => {
    const answer = await ask("How many people does Acme employ, and where are its headquarters?");
    expect(answer).toBe("Its headquarters moved to Munich in 2012. Acme employs 450 people across Europe.");
    const windy = await ask("Which wind turbines, wind farms and offshore sensors?");
    expect(windy).toBe(
      "The company makes industrial sensors for wind turbines. " + "In 2021, Acme partnered with Nordwind Energy to monitor offshore wind farms.",
    );
    expect(windy).not.toContain("cafeteria");
  });

  it("reads context from the system prompt, earlier messages and a 'Question:' line", async () => {
    const model = new OfflineLanguageModel();
    const fromSystem = await generateText({
      model,
      system: `Use these notes. ${DOC}`,
      prompt: "What food does the cafeteria serve?",
    });
    expect(fromSystem.text).toBe("The cafeteria serves vegetarian food on Fridays.");

    const fromHistory = await generateText({
      model,
      messages: [
        { role: "user", content: "Here are my notes." },
        { role: "assistant", content: "Noted: Keel stores embeddings in pgvector. Keel runs on Next.js." },
        { role: "user", content: "Where does Keel store embeddings?" },
      ],
    });
    expect(fromHistory.text).toBe("Noted: Keel stores embeddings in pgvector.");

    const contextFirst = await generateText({
      model,
      prompt: `Context:\n${DOC}\n\nQuestion: When did the headquarters move?`,
    });
    expect(contextFirst.text).toBe("Its headquarters moved to Munich in 2012.");
  });

  it("says so when nothing overlaps, and when there is no context at all", async () => {
    expect(await ask("What is the weather on Mars?")).toBe(OFFLINE_NO_ANSWER);
    expect(OFFLINE_NO_ANSWER).toBe("I could not find an answer to that in the provided context.");

    const { text } = await generateText({ model: new OfflineLanguageModel(), prompt: "What is Keel?" });
    expect(text).toContain("only answers from supplied context");
    // The question is not repeated back: that reads as an echo.
    expect(text).not.toContain("What is Keel");
  });

  it("never answers with the system prompt's instructions to the model, but still reads context placed there", async () => {
    const instructions = "You are Keel, an assistant for a team.\nAnswer in Markdown and cite your sources.\nDo not output raw HTML.";
    const { text } = await generateText({ model: new OfflineLanguageModel(), system: instructions, prompt: "What is Keel?" });
    expect(text).toContain("only answers from supplied context");
    const withContext = await generateText({
      model: new OfflineLanguageModel(),
      system: `${instructions}\nKeel stores every document in Postgres.`,
      prompt: "Where does Keel store documents?",
    });
    expect(withContext.text).toBe("Keel stores every document in Postgres.");
  });

  it("is deterministic across calls and instances", async () => {
    const questions = ["Where is the headquarters of Acme?", "Tell me about partners", "Mars?"];
    for (const question of questions) {
      const first = await ask(question);
      expect(await ask(question)).toBe(first);
      const again = await generateText({
        model: new OfflineLanguageModel({ modelId: "other" }),
        system: SYSTEM,
        prompt: `${question}\n\nContext:\n${DOC}`,
      });
      expect(again.text).toBe(first);
    }
  });

  it("reports usage consistent with countTokens", async () => {
    const prompt = `Who founded Acme?\n\nContext:\n${DOC}`;
    const result = await generateText({ model: new OfflineLanguageModel(), system: SYSTEM, prompt });
    expect(result.usage.inputTokens).toBe(countTokens(SYSTEM) + countTokens(prompt));
    expect(result.usage.outputTokens).toBe(countTokens(result.text));
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.totalTokens).toBe((result.usage.inputTokens ?? 0) + (result.usage.outputTokens ?? 0));
    expect(result.finishReason).toBe("stop");
    expect(result.response.modelId).toBe("keel-offline-extractive");
  });

  it("honours maxOutputTokens with finishReason 'length'", async () => {
    const result = await generateText({
      model: new OfflineLanguageModel(),
      prompt: `Who founded Acme?\n${DOC}`,
      maxOutputTokens: 4,
    });
    // "founded" is 7 characters, so it counts as 2 tokens and does not fit.
    expect(result.text).toBe("Acme Corp was");
    expect(result.finishReason).toBe("length");
    expect(result.usage.outputTokens).toBeLessThanOrEqual(4);
  });
});

describe("OfflineLanguageModel (streaming)", () => {
  it("streams word deltas whose concatenation equals the non-streaming text", async () => {
    const model = new OfflineLanguageModel();
    const prompt = `How many people does Acme employ, and where are its headquarters?\n${DOC}`;
    const generated = await generateText({ model, prompt });
    const streamed = streamText({ model, prompt });
    const chunks: string[] = [];
    for await (const chunk of streamed.textStream) chunks.push(chunk);
    expect(chunks.join("")).toBe(generated.text);
    expect(chunks.length).toBe(generated.text.split(" ").length);
    expect(await streamed.usage).toEqual(generated.usage);
    expect(await streamed.finishReason).toBe("stop");
  });

  it("emits the V3 stream parts in order", async () => {
    const model = new OfflineLanguageModel();
    const { stream } = await model.doStream({
      prompt: [{ role: "user", content: [{ type: "text", text: `Who founded Acme?\n${DOC}` }] }],
    });
    const parts = await readAll(stream);
    const types = parts.map((p) => p.type);
    expect(types[0]).toBe("stream-start");
    expect(types[1]).toBe("text-start");
    expect(types.slice(-2)).toEqual(["text-end", "finish"]);
    const text = parts.map((p) => (p.type === "text-delta" ? p.delta : "")).join("");
    expect(text).toBe("Acme Corp was founded in 1999 by Jane Doe in Berlin.");
    const finish = parts.at(-1);
    expect(finish?.type === "finish" && finish.usage.outputTokens.total).toBe(countTokens(text));
  });

  it("stops a slow stream promptly when aborted", async () => {
    const model = new OfflineLanguageModel({ tokenDelayMs: 20 });
    const prompt = `Which wind turbines, wind farms and offshore sensors?\n${DOC}`;
    const full = (await generateText({ model, prompt })).text;
    const totalWords = full.split(" ").length;
    expect(totalWords).toBeGreaterThan(10);

    // Through the SDK: streamText turns the provider's AbortError into a clean "abort" part.
    const controller = new AbortController();
    let aborted = false;
    const result = streamText({ model, prompt, abortSignal: controller.signal, onAbort: () => void (aborted = true) });
    const received: string[] = [];
    for await (const chunk of result.textStream) {
      received.push(chunk);
      if (received.length === 2) controller.abort();
    }
    expect(aborted).toBe(true);
    expect(received.length).toBeLessThan(totalWords);

    // Directly: the model's stream errors with an AbortError instead of finishing.
    const direct = new AbortController();
    const { stream } = await model.doStream({
      prompt: [{ role: "user", content: [{ type: "text", text: prompt }] }],
      abortSignal: direct.signal,
    });
    const reader = stream.getReader();
    const seen: string[] = [];
    const drain = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return "finished";
        seen.push(value.type);
        if (value.type === "text-delta" && seen.filter((t) => t === "text-delta").length === 1) direct.abort();
      }
    })();
    await expect(drain).rejects.toMatchObject({ name: "AbortError" });
    expect(seen).not.toContain("finish");
  });

  it("rejects immediately when the signal is already aborted", async () => {
    const model = new OfflineLanguageModel();
    const signal = AbortSignal.abort();
    const prompt = [{ role: "user" as const, content: [{ type: "text" as const, text: "hi" }] }];
    await expect(model.doGenerate({ prompt, abortSignal: signal })).rejects.toMatchObject({ name: "AbortError" });
    await expect(model.doStream({ prompt, abortSignal: signal })).rejects.toMatchObject({ name: "AbortError" });
  });
});
