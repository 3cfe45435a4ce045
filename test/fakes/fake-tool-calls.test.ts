/**
 * The fakes' tool-call step through the real clients (AI SDK OpenAI and Google providers, the
 * official openai client), JSON and SSE: if these parse it, a scripted call reaches Keel the way
 * a paid API's would.
 */
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, streamText, tool } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeGemini, startFakeOpenAI, type FakeLlmServer } from "./fake-llm-server";

const weather = tool({
  description: "Current weather for a city",
  inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
});

let openai: FakeLlmServer;
let gemini: FakeLlmServer;
beforeAll(async () => {
  openai = await startFakeOpenAI();
  gemini = await startFakeGemini();
});
afterAll(async () => {
  await openai.close();
  await gemini.close();
});
beforeEach(() => {
  openai.reset();
  gemini.reset();
});

describe("tool-calls step", () => {
  it("OpenAI dialect: the AI SDK reads calls from JSON and from streamed argument pieces", async () => {
    const model = createOpenAI({ baseURL: openai.url, apiKey: "test" }).chat("gpt-fake");
    openai.script({ kind: "tool-calls", calls: [{ id: "call_1", name: "weather", arguments: { city: "Paris" } }] });
    const whole = await generateText({ model, prompt: "Weather in Paris?", tools: { weather }, maxRetries: 0 });
    expect(whole.finishReason).toBe("tool-calls");
    expect(whole.toolCalls).toMatchObject([{ toolCallId: "call_1", toolName: "weather", input: { city: "Paris" } }]);
    expect(openai.requests[0]!.body).toMatchObject({ tools: [{ type: "function", function: { name: "weather" } }] });

    openai.script({
      kind: "tool-calls",
      text: "Checking both.",
      calls: [
        { name: "weather", arguments: { city: "Oslo" } },
        { name: "weather", arguments: { city: "Rome" } },
      ],
    });
    const streamed = streamText({ model, prompt: "Oslo and Rome?", tools: { weather }, maxRetries: 0 });
    const deltas: string[] = [];
    for await (const part of streamed.fullStream) if (part.type === "tool-input-delta") deltas.push(part.delta);
    expect(await streamed.text).toBe("Checking both.");
    expect((await streamed.toolCalls).map((c) => c.input)).toEqual([{ city: "Oslo" }, { city: "Rome" }]);
    expect(deltas.length).toBeGreaterThan(2);
    expect(await streamed.finishReason).toBe("tool-calls");
  });

  it("OpenAI dialect: the official client accumulates the streamed calls", async () => {
    const client = new OpenAI({ baseURL: openai.url, apiKey: "test", maxRetries: 0 });
    openai.script({ kind: "tool-calls", calls: [{ id: "call_9", name: "weather", arguments: '{"city":"Lima"}' }] });
    const stream = client.chat.completions.stream({
      model: "gpt-fake",
      messages: [{ role: "user", content: "Lima?" }],
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: { tool_calls: [{ id: "call_9", type: "function", function: { name: "weather", arguments: '{"city":"Lima"}' } }] },
    });
  });

  it("Gemini dialect: function calls, whole and streamed", async () => {
    const model = createGoogleGenerativeAI({ baseURL: gemini.url, apiKey: "test" })("gemini-fake");
    gemini.script({ kind: "tool-calls", calls: [{ name: "weather", arguments: { city: "Kyiv" } }] });
    const whole = await generateText({ model, prompt: "Kyiv?", tools: { weather }, maxRetries: 0 });
    expect(whole.finishReason).toBe("tool-calls");
    expect(whole.toolCalls).toMatchObject([{ toolName: "weather", input: { city: "Kyiv" } }]);

    gemini.script({ kind: "tool-calls", calls: [{ name: "weather", arguments: { city: "Bern" } }] });
    const streamed = streamText({ model, prompt: "Bern?", tools: { weather }, maxRetries: 0 });
    expect((await streamed.toolCalls).map((c) => c.input)).toEqual([{ city: "Bern" }]);
    expect(await streamed.finishReason).toBe("tool-calls");
  });
});
