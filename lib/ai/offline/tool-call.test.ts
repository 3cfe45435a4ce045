// The offline model and tools: a demanded call is schema-valid, picks the tool the question is
// about, streams its arguments, and a tool loop runs to a text answer built on the tool's result.
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { OfflineLanguageModel } from "./index";

const forecastInput = z.object({
  city: z.string().min(2),
  days: z.number().int().min(1).max(7),
  unit: z.enum(["celsius", "fahrenheit"]),
});
const tools = {
  lookupInvoice: tool({ description: "Find an invoice by its number", inputSchema: z.object({ invoiceNumber: z.string() }) }),
  forecast: tool({ description: "Weather forecast for a city", inputSchema: forecastInput }),
};

describe("OfflineLanguageModel (tools)", () => {
  it("answers a required tool choice with one schema-valid call to the tool the question is about", async () => {
    const result = await generateText({ model: new OfflineLanguageModel(), prompt: "What is the weather forecast for Paris?", tools, toolChoice: "required" });
    expect(result.finishReason).toBe("tool-calls");
    expect(result.toolCalls).toHaveLength(1);
    const [call] = result.toolCalls;
    expect(call!.toolName).toBe("forecast");
    const input = forecastInput.parse(call!.input);
    expect(input.city).toBe("Paris");
    expect(call!.toolCallId).toMatch(/^call_offline_[0-9a-f]{24}$/);
  });

  it("calls a named tool even when the question is about another, and answers in text on auto", async () => {
    const model = new OfflineLanguageModel();
    const named = await generateText({ model, prompt: "Weather in Oslo?", tools, toolChoice: { type: "tool", toolName: "lookupInvoice" } });
    expect(named.toolCalls.map((c) => c.toolName)).toEqual(["lookupInvoice"]);
    expect(z.object({ invoiceNumber: z.string() }).safeParse(named.toolCalls[0]!.input).success).toBe(true);
    const auto = await generateText({ model, system: "Oslo has mild summers.", prompt: "Weather in Oslo?", tools });
    expect(auto.toolCalls).toEqual([]);
    expect(auto.text).toContain("Oslo");
  });

  it("streams the arguments in pieces that add up to the call", async () => {
    const result = streamText({ model: new OfflineLanguageModel(), prompt: "Forecast for Rome", tools, toolChoice: "required" });
    const pieces: string[] = [];
    for await (const part of result.fullStream) if (part.type === "tool-input-delta") pieces.push(part.delta);
    const [call] = await result.toolCalls;
    expect(pieces.length).toBeGreaterThan(3);
    expect(JSON.parse(pieces.join(""))).toEqual(call!.input);
    expect(await result.finishReason).toBe("tool-calls");
  });

  it("runs a tool loop: the call, the tool's result, then an answer drawn from that result", async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: new OfflineLanguageModel(),
      prompt: "What is the weather forecast for Paris?",
      tools: {
        forecast: tool({
          description: "Weather forecast for a city",
          inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
          execute: async (input) => {
            seen.push(input);
            return { forecast: `The forecast for ${input.city} is sunny with light wind.` };
          },
        }),
      },
      // Required only on the first step: afterwards the model may answer.
      prepareStep: ({ stepNumber }) => (stepNumber === 0 ? { toolChoice: "required" } : { toolChoice: "auto" }),
      stopWhen: stepCountIs(3),
    });
    expect(seen).toEqual([{ city: "Paris" }]);
    expect(result.steps).toHaveLength(2);
    expect(result.text).toContain("sunny with light wind");
  });

  it("refuses a named tool that is not among the tools, as a provider would", async () => {
    await expect(
      generateText({ model: new OfflineLanguageModel(), prompt: "hi", tools, toolChoice: { type: "tool", toolName: "missing" as "forecast" }, maxRetries: 0 }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });
});
