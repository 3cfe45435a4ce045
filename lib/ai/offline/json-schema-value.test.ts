import { APICallError } from "@ai-sdk/provider";
import { generateObject, generateText, jsonSchema, Output, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Corpus } from "./corpus";
import { OfflineLanguageModel } from "./index";
import { structuredAnswer } from "./json-schema-value";
import { briefSchema, DOC } from "./sample-document";

describe("OfflineLanguageModel (structured output)", () => {
  const prompt = `Summarise this document and extract the entities.\n\n${DOC}`;

  it("produces an object that validates against the zod schema (Output.object)", async () => {
    const { output, text } = await generateText({
      model: new OfflineLanguageModel(),
      system: "You brief analysts.",
      prompt,
      output: Output.object({ schema: briefSchema }),
    });
    expect(briefSchema.parse(JSON.parse(text))).toEqual(output);
    expect(output.summary.startsWith("Acme Corp was founded in 1999")).toBe(true);
    expect(output.keyPoints.length).toBeGreaterThanOrEqual(1);
    expect(output.keyPoints.length).toBeLessThanOrEqual(5);
    for (const point of output.keyPoints) expect(DOC).toContain(point);
    const names = output.entities.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(["Acme Corp", "Jane Doe", "Berlin"]));
    expect(new Set(names).size).toBe(names.length);
    // Each kind is the right one, or "other" (never every entity as a person).
    const kinds = Object.fromEntries(output.entities.map((e) => [e.name, e.kind]));
    expect(kinds).toMatchObject({ "Acme Corp": "organisation", "Jane Doe": "person", Berlin: "place" });
  });

  it("focuses string fields on the question and is deterministic", async () => {
    const run = () =>
      generateText({
        model: new OfflineLanguageModel(),
        prompt: `Where is the headquarters?\n\n${DOC}`,
        output: Output.object({ schema: briefSchema }),
      });
    const first = await run();
    expect(first.output.summary).toBe("Its headquarters moved to Munich in 2012.");
    expect((await run()).text).toBe(first.text);
  });

  it("streams the same JSON with streamText and works with generateObject", async () => {
    const model = new OfflineLanguageModel();
    const generated = await generateText({ model, prompt, output: Output.object({ schema: briefSchema }) });
    const streamed = streamText({ model, prompt, output: Output.object({ schema: briefSchema }) });
    expect(await streamed.output).toEqual(generated.output);
    // generateObject is deprecated in AI SDK 6 but must keep working for older call sites.
    const legacy = await generateObject({ model, prompt, schema: briefSchema });
    expect(legacy.object).toEqual(generated.output);
  });

  it("handles formats, bounds, nullable, tuples, recursion, enums and arrays of objects", async () => {
    interface TreeNode {
      label: string;
      children: TreeNode[];
    }
    const tree: z.ZodType<TreeNode> = z.lazy(() => z.object({ label: z.string(), children: z.array(tree) }));
    const schema = z.object({
      title: z.string().min(3).max(12),
      people: z.number().int().min(1).max(10_000),
      score: z.number().min(0).max(1),
      flagged: z.boolean(),
      contact: z.email(),
      website: z.url(),
      note: z.string().nullable(),
      mode: z.enum(["fast", "slow"]),
      pair: z.tuple([z.string(), z.number()]),
      tags: z.array(z.string()).min(2).max(3),
      steps: z.array(z.object({ point: z.string(), weight: z.number().int().min(1).max(3) })).min(1),
      padded: z.string().min(400),
      tree,
      optional: z.string().optional(),
    });
    const { output } = await generateText({
      model: new OfflineLanguageModel(),
      prompt: `Describe Acme.\n\n${DOC}`,
      output: Output.object({ schema }),
    });
    expect(schema.parse(output)).toEqual(output);
    // A number stated in the sentence about the field ("Acme employs 450 people").
    expect(output.people).toBe(450);
    expect(output.flagged).toBe(false);
    expect(output.mode).toBe("fast");
    expect(output.tags.length).toBeGreaterThanOrEqual(2);
    expect(output.tags.length).toBeLessThanOrEqual(3);
  });

  it("emits {answer} for JSON mode without a schema", async () => {
    const { output } = await generateText({
      model: new OfflineLanguageModel(),
      prompt: `Who founded Acme?\n${DOC}`,
      output: Output.json(),
    });
    expect(output).toEqual({ answer: "Acme Corp was founded in 1999 by Jane Doe in Berlin." });
  });

  it("still validates with no context at all", async () => {
    const { output } = await generateText({
      model: new OfflineLanguageModel(),
      prompt: "Summarise.",
      output: Output.object({ schema: briefSchema }),
    });
    expect(briefSchema.parse(output)).toEqual(output);
  });
});

describe("structuredAnswer caps (schemas that did not pass the API boundary)", () => {
  const corpus = new Corpus([{ text: "The turbine reports its output every day.", source: "message" }]);

  it("fills at most 1,000 items and 20,000 characters whatever minItems and minLength ask", () => {
    const started = performance.now();
    const value = JSON.parse(structuredAnswer(corpus, "List them", { type: "array", items: { type: "string" }, minItems: 1e9 })) as string[];
    expect(value).toHaveLength(1_000);
    const text = JSON.parse(structuredAnswer(corpus, "Describe", { type: "string", minLength: 1e9 })) as string;
    expect(text.length).toBeGreaterThanOrEqual(20_000);
    expect(text.length).toBeLessThan(20_100);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("refuses, as a provider's 400, a value larger than the output limit instead of building it", () => {
    const started = performance.now();
    const nested = { type: "array", minItems: 1_000, items: { type: "array", minItems: 1_000, items: { type: "string", minLength: 50 } } } as const;
    let error: unknown;
    try {
      structuredAnswer(corpus, "Fill it", nested);
    } catch (caught) {
      error = caught;
    }
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(400);
    expect((error as APICallError).isRetryable).toBe(false);
    expect((error as Error).message).toMatch(/longer than 256000 characters/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("answers a tool call demanding a huge value with a 400 from the model (never a hang)", async () => {
    const started = performance.now();
    const attack = generateText({
      model: new OfflineLanguageModel(),
      prompt: "Call it",
      tools: {
        fill: tool({
          inputSchema: jsonSchema({
            type: "object",
            properties: { x: { type: "array", minItems: 1_000, items: { type: "array", minItems: 1_000, items: { type: "string" } } } },
            required: ["x"],
          }),
        }),
      },
      toolChoice: "required",
      maxRetries: 0,
    });
    await expect(attack).rejects.toMatchObject({ statusCode: 400 });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
