// keelModel with the SDK's own generateText, streamText and Output.object, through the real
// provider clients against the scripted fakes (and the offline model): tool loops with execute,
// tools and results reaching the provider, one usage row per model call, what providerMetadata
// says, and the SDK's telemetry spans.
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { generateText, Output, stepCountIs, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { keelModel, readKeelMetadata } from "@/lib/ai";
import { createTenant } from "@/test/fixtures";
import { eventsOf, generationRequests, newGateway, quotaRow, startFakeProvidersForFile, testConfig } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();

async function setup(options: { offline?: boolean } = {}) {
  const tenant = await createTenant("Keel model");
  const config = testConfig(servers.openai, servers.gemini, options.offline ? { providers: [] } : {});
  const gateway = newGateway(config, { sleep: async () => {}, random: () => 0.5 });
  const ctx = { tenantId: tenant.tenantId, userId: tenant.userId, feature: "chat" };
  return { tenant, gateway, model: keelModel(ctx, "chat", gateway) };
}

function weatherTool(calls: unknown[]) {
  return tool({
    description: "Current weather for a city",
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      calls.push({ city });
      return { city, sky: "sunny", celsius: 24 };
    },
  });
}

/** Usage rows for the tenant, and the quota charged exactly what they say. */
async function meteredCalls(tenantId: string, gateway: { flush(): Promise<void> }) {
  await gateway.flush();
  const events = await eventsOf(tenantId);
  // The offline model's calls are metered but spend no allowance (no quota period opens for them).
  const paid = events.filter((e) => e.provider !== "offline").reduce((sum, e) => sum + e.inputTokens + e.outputTokens, 0);
  const quota = await quotaRow(tenantId);
  expect({ usedTokens: quota?.usedTokens ?? 0, reservedTokens: quota?.reservedTokens ?? 0 }).toEqual({ usedTokens: paid, reservedTokens: 0 });
  return events;
}

describe("keelModel with tools", () => {
  it("generateText runs a tool loop: the call reaches execute, the result reaches the provider, each step is metered", async () => {
    const { tenant, gateway, model } = await setup();
    servers.openai.script(
      { kind: "tool-calls", calls: [{ id: "call_w1", name: "weather", arguments: { city: "Paris" } }], usage: { input: 40, output: 8 } },
      { kind: "text", text: "It is sunny and 24 °C in Paris.", usage: { input: 70, output: 10 } },
    );
    const executed: unknown[] = [];
    const finishedSteps: string[] = [];
    const result = await generateText({
      model,
      prompt: "What is the weather in Paris?",
      tools: { weather: weatherTool(executed) },
      stopWhen: stepCountIs(4),
      onStepFinish: (step) => {
        finishedSteps.push(`${step.finishReason}:${readKeelMetadata(step.providerMetadata)?.provider}`);
      },
    });
    expect(result.text).toBe("It is sunny and 24 °C in Paris.");
    expect(executed).toEqual([{ city: "Paris" }]);
    expect(finishedSteps).toEqual(["tool-calls:openai", "stop:openai"]);

    const [first, second] = generationRequests(servers.openai).map((r) => r.body);
    expect(first).toMatchObject({ tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }] });
    expect(second).toMatchObject({
      messages: [
        { role: "user" },
        { role: "assistant", tool_calls: [{ id: "call_w1", function: { name: "weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_w1", content: JSON.stringify({ city: "Paris", sky: "sunny", celsius: 24 }) },
      ],
    });

    const events = await meteredCalls(tenant.tenantId, gateway);
    expect(events).toHaveLength(2);
    expect(events.map((e) => [e.status, e.provider, e.feature, e.inputTokens, e.outputTokens]).sort()).toEqual([
      ["ok", "openai", "chat", 40, 8],
      ["ok", "openai", "chat", 70, 10],
    ]);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(2);
    const metadata = readKeelMetadata(result.providerMetadata);
    expect(metadata).toMatchObject({ provider: "openai", fallback: false, offline: false, cacheHit: false, inputTokens: 70, outputTokens: 10 });
    expect(events.find((e) => e.requestId === metadata!.requestId)?.costMicroUsd).toBe(metadata!.costMicroUsd);
    expect(result.totalUsage).toMatchObject({ inputTokens: 110, outputTokens: 18 });
  });

  it("streamText streams the call's arguments, runs the tool, then streams the answer; both calls metered", async () => {
    const { tenant, gateway, model } = await setup();
    servers.openai.script(
      { kind: "tool-calls", calls: [{ name: "weather", arguments: { city: "Oslo" } }] },
      { kind: "text", text: "Oslo is sunny today.", chunkDelayMs: 5 },
    );
    const executed: unknown[] = [];
    const result = streamText({ model, prompt: "Weather in Oslo?", tools: { weather: weatherTool(executed) }, stopWhen: stepCountIs(4) });
    const kinds: string[] = [];
    for await (const part of result.fullStream) kinds.push(part.type);
    expect(await result.text).toBe("Oslo is sunny today.");
    expect(executed).toEqual([{ city: "Oslo" }]);
    expect(kinds).toEqual(expect.arrayContaining(["tool-input-start", "tool-input-delta", "tool-call", "tool-result", "text-delta"]));
    expect(kinds.indexOf("tool-result")).toBeLessThan(kinds.indexOf("text-delta"));
    const [first, second] = generationRequests(servers.openai).map((r) => r.body as { stream?: boolean });
    expect(first).toMatchObject({ stream: true, tools: [{ function: { name: "weather" } }] });
    expect(second).toMatchObject({
      stream: true,
      messages: [{ role: "user" }, { role: "assistant", tool_calls: [{ function: { name: "weather" } }] }, { role: "tool" }],
    });
    expect(await meteredCalls(tenant.tenantId, gateway)).toHaveLength(2);
    expect(readKeelMetadata(await result.providerMetadata)).toMatchObject({ provider: "openai", finishReason: "stop" });
  });

  it("works with nothing configured: the offline model calls the required tool with valid input, then answers", async () => {
    const { tenant, gateway, model } = await setup({ offline: true });
    const executed: unknown[] = [];
    const result = await generateText({
      model,
      prompt: "What is the weather in Lisbon?",
      tools: { weather: weatherTool(executed) },
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? "required" : "none" }),
      stopWhen: stepCountIs(3),
    });
    expect(executed).toEqual([{ city: "Lisbon" }]);
    expect(result.steps.map((s) => readKeelMetadata(s.providerMetadata)?.offline)).toEqual([true, true]);
    expect(result.text).toContain("Lisbon");
    expect(await meteredCalls(tenant.tenantId, gateway)).toHaveLength(2);
  });
});

describe("the parallel-call preference", () => {
  it("reaches OpenAI and OpenAI-compatible servers as parallel_tool_calls, and only with tools", async () => {
    const tenant = await createTenant("Parallel calls");
    const ctx = { tenantId: tenant.tenantId, feature: "api", cache: { noCache: true, noStore: true } };
    const tools = [{ type: "function" as const, name: "lookup", inputSchema: { type: "object" as const, properties: {} } }];
    const prompt = [{ role: "user" as const, content: [{ type: "text" as const, text: "Look it up" }] }];
    const compatible = newGateway(
      testConfig(servers.openai, servers.gemini, {
        providers: [{ name: "compatible", apiKey: "test", baseURL: servers.openai.url }],
        compatibleModels: { language: "local-model" },
      }),
    );
    for (const gateway of [newGateway(testConfig(servers.openai, servers.gemini)), compatible]) {
      await gateway.generate(ctx, { role: "chat", prompt, tools, parallelToolCalls: false });
      await gateway.generate(ctx, { role: "chat", prompt, parallelToolCalls: false });
    }
    const bodies = generationRequests(servers.openai).map((r) => r.body as { model: string; parallel_tool_calls?: boolean });
    expect(bodies.map((b) => [b.model, b.parallel_tool_calls])).toEqual([
      ["gpt-4.1-mini", false],
      ["gpt-4.1-mini", undefined],
      ["local-model", false],
      ["local-model", undefined],
    ]);
  });
});

describe("keelModel with structured output and telemetry", () => {
  const invoice = z.object({ vendor: z.string(), total: z.number() });

  it("Output.object parses the provider's JSON, and the provider was asked for that schema", async () => {
    const { tenant, gateway, model } = await setup();
    servers.openai.script({ kind: "text", text: JSON.stringify({ vendor: "Acme", total: 1200 }) });
    const { output } = await generateText({ model, output: Output.object({ schema: invoice }), prompt: "Extract the invoice: Acme, 1200 EUR." });
    expect(output).toEqual({ vendor: "Acme", total: 1200 });
    expect(generationRequests(servers.openai)[0]!.body).toMatchObject({
      response_format: { type: "json_schema", json_schema: { schema: { properties: { vendor: { type: "string" } } } } },
    });
    expect(await meteredCalls(tenant.tenantId, gateway)).toHaveLength(1);
  });

  it("Output.object streams a valid object from the offline model", async () => {
    const { model } = await setup({ offline: true });
    const result = streamText({
      model,
      output: Output.object({ schema: invoice }),
      prompt: "Which vendor sent the invoice?\n\nInvoice from Acme GmbH, total 1200.",
    });
    expect(invoice.safeParse(await result.output).success).toBe(true);
  });

  it("emits the SDK's telemetry spans for each model call, naming Keel as the provider", async () => {
    const { model } = await setup();
    servers.openai.script({ kind: "text", text: "traced" });
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer("test");
    await generateText({ model, prompt: "trace me", experimental_telemetry: { isEnabled: true, tracer, functionId: "chat-answer" } });
    const call = exporter.getFinishedSpans().find((span) => span.name === "ai.generateText.doGenerate");
    expect(call?.attributes).toMatchObject({ "ai.model.provider": "keel", "ai.model.id": "keel-chat", "ai.response.text": "traced" });
  });
});
