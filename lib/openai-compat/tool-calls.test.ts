// Tools on /api/v1 with the official `openai` client over a real socket, through the production
// server's /api/v1 router: tool calls non-streaming and streaming (OpenAI's exact delta shape),
// the round trip with tool results, tool choice and parallel calls reaching the provider, a
// Gemini fallback, validation, and the offline model answering with nothing configured.
import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { apiV1Router } from "@/scripts/api-router";
import { createApiKey } from "@/lib/auth/api-keys";
import { createTenant } from "@/test/fixtures";
import { eventsOf, generationRequests, startFakeProvidersForFile } from "@/test/gateway-harness";
import { getGateway } from "@/lib/ai";

const servers = startFakeProvidersForFile();
const gatewayEnv = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "GOOGLE_GENERATIVE_AI_API_KEY", "GOOGLE_GENERATIVE_AI_BASE_URL", "KEEL_MAX_RETRIES"] as const;
const savedEnv = Object.fromEntries(gatewayEnv.map((name) => [name, process.env[name]]));
const resetGateway = () => (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");

let server: http.Server;
let client: OpenAI;
let tenantId: string;

beforeAll(async () => {
  const route = await apiV1Router();
  server = http.createServer((request, response) => {
    if (route(request, response) === null) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const tenant = await createTenant("Tools API");
  tenantId = tenant.tenantId;
  const { key } = await createApiKey(tenant, "tools");
  client = new OpenAI({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`, apiKey: key, maxRetries: 0 });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const name of gatewayEnv) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  resetGateway();
});

const forecastArgs = z.object({ city: z.string().min(1), days: z.number().int().min(1).max(7) });
const tools: OpenAI.ChatCompletionTool[] = [
  { type: "function", function: { name: "forecast", description: "Weather forecast for a city", parameters: z.toJSONSchema(forecastArgs) } },
  {
    type: "function",
    function: { name: "convert", description: "Convert a currency amount", parameters: { type: "object", properties: { amount: { type: "number" } } } },
  },
];
const question: OpenAI.ChatCompletionMessageParam = { role: "user", content: "What is the forecast for Paris this week?" };
const noCache = { headers: { "x-keel-cache": "no-cache, no-store" } };

/** A call's function (the client's type also allows custom tools, which Keel never returns). */
function functionOf(call: OpenAI.ChatCompletionMessageToolCall | undefined) {
  if (call?.type !== "function") throw new Error(`expected a function tool call, got ${JSON.stringify(call)}`);
  return call.function;
}

describe("/api/v1 tools via the scripted OpenAI provider", () => {
  beforeAll(() => {
    process.env.OPENAI_API_KEY = "test";
    process.env.OPENAI_BASE_URL = servers.openai.url;
    process.env.GOOGLE_GENERATIVE_AI_API_KEY = "test";
    process.env.GOOGLE_GENERATIVE_AI_BASE_URL = servers.gemini.url;
    process.env.KEEL_MAX_RETRIES = "0";
    resetGateway();
  });

  it("returns tool calls, then answers from the tool result; tools, choice and results reach the provider; both calls metered", async () => {
    servers.openai.script({ kind: "tool-calls", calls: [{ id: "call_p1", name: "forecast", arguments: { city: "Paris", days: 7 } }] });
    const first = await client.chat.completions.create(
      { model: "keel-chat", messages: [question], tools, tool_choice: "auto", parallel_tool_calls: false },
      noCache,
    );
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message).toMatchObject({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_p1", type: "function", function: { name: "forecast", arguments: '{"city":"Paris","days":7}' } }],
    });
    expect(generationRequests(servers.openai)[0]!.body).toMatchObject({
      tools: [{ type: "function", function: { name: "forecast", parameters: { required: ["city", "days"] } } }, { function: { name: "convert" } }],
      tool_choice: "auto",
      parallel_tool_calls: false,
    });

    servers.openai.script({ kind: "text", text: "Sunny all week in Paris." });
    const second = await client.chat.completions.create(
      { model: "keel-chat", messages: [question, choice.message, { role: "tool", tool_call_id: "call_p1", content: '{"sky":"sunny"}' }], tools },
      noCache,
    );
    expect(second.choices[0]).toMatchObject({ finish_reason: "stop", message: { content: "Sunny all week in Paris." } });
    expect(generationRequests(servers.openai)[1]!.body).toMatchObject({
      messages: [
        { role: "user" },
        { role: "assistant", tool_calls: [{ id: "call_p1", function: { name: "forecast", arguments: '{"city":"Paris","days":7}' } }] },
        { role: "tool", tool_call_id: "call_p1", content: '{"sky":"sunny"}' },
      ],
    });
    await getGateway().flush();
    // The file's first calls for this tenant: one usage row each, under the API key.
    const events = await eventsOf(tenantId);
    expect(events.map((e) => [e.status, e.feature, e.provider, e.apiKeyId !== null])).toEqual([
      ["ok", "api", "openai", true],
      ["ok", "api", "openai", true],
    ]);
  });

  it("passes a named, required or 'none' tool choice to the provider as OpenAI spells it", async () => {
    const sent: unknown[] = [];
    for (const tool_choice of [{ type: "function", function: { name: "convert" } }, "required", "none"] as const) {
      servers.openai.script({ kind: "text", text: "ok" });
      await client.chat.completions.create({ model: "keel-chat", messages: [question], tools, tool_choice }, noCache);
      sent.push((generationRequests(servers.openai).at(-1)!.body as { tool_choice: unknown }).tool_choice);
    }
    expect(sent).toEqual([{ type: "function", function: { name: "convert" } }, "required", "none"]);
  });

  it("streams tool-call deltas in OpenAI's exact shape, two calls with their own indexes", async () => {
    servers.openai.script({
      kind: "tool-calls",
      calls: [
        { id: "call_a", name: "forecast", arguments: { city: "Oslo", days: 2 } },
        { id: "call_b", name: "convert", arguments: { amount: 12.5 } },
      ],
    });
    const stream = await client.chat.completions.create({ model: "keel-chat", messages: [question], tools, stream: true }, noCache);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.map((c) => c.choices[0]?.delta);
    expect(deltas[0]).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "forecast", arguments: "" } }],
    });
    for (const delta of deltas.slice(1, -1)) {
      const [call] = delta!.tool_calls!;
      expect(Object.keys(delta!)).toEqual(["tool_calls"]);
      if (call!.id) expect(call).toEqual({ index: 1, id: "call_b", type: "function", function: { name: "convert", arguments: "" } });
      else expect(Object.keys(call!).sort()).toEqual(["function", "index"]);
    }
    const args = (index: number) =>
      deltas.flatMap((d) => d?.tool_calls?.filter((c) => c.index === index).map((c) => c.function?.arguments ?? "") ?? []).join("");
    expect(JSON.parse(args(0))).toEqual({ city: "Oslo", days: 2 });
    expect(JSON.parse(args(1))).toEqual({ amount: 12.5 });
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: "tool_calls" });
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0]!.id)).toBe(true);
  });

  it("the client's stream helper accumulates the streamed call; a Gemini fallback's calls come through too", async () => {
    servers.openai.script({ kind: "tool-calls", calls: [{ id: "call_s", name: "forecast", arguments: { city: "Rome", days: 3 } }] });
    const final = await client.chat.completions.stream({ model: "keel-chat", messages: [question], tools }, noCache).finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls).toEqual([
      { id: "call_s", type: "function", function: { name: "forecast", arguments: '{"city":"Rome","days":3}' } },
    ]);

    servers.openai.script({ kind: "status", status: 503 }, { kind: "status", status: 503 });
    servers.gemini.script({ kind: "tool-calls", calls: [{ name: "forecast", arguments: { city: "Bern", days: 1 } }] });
    const { data, response } = await client.chat.completions.create({ model: "keel-chat", messages: [question], tools }, noCache).withResponse();
    expect(response.headers.get("x-keel-provider")).toBe("google");
    expect(data.choices[0]).toMatchObject({ finish_reason: "tool_calls", message: { tool_calls: [{ type: "function", function: { name: "forecast" } }] } });
    expect(JSON.parse(functionOf(data.choices[0]!.message.tool_calls?.[0]).arguments)).toEqual({ city: "Bern", days: 1 });
    expect(generationRequests(servers.gemini)[0]!.body).toMatchObject({ tools: [{ functionDeclarations: [{ name: "forecast" }, { name: "convert" }] }] });
  });

  it("refuses inconsistent tool requests with OpenAI-shaped 400s naming the parameter", async () => {
    const refused = async (body: Record<string, unknown>) => {
      const error = await client.chat.completions
        .create({ model: "keel-chat", messages: [question], ...body } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      return (error as InstanceType<typeof OpenAI.BadRequestError>).param;
    };
    expect(await refused({ tools, tool_choice: { type: "function", function: { name: "missing" } } })).toBe("tool_choice");
    expect(await refused({ tool_choice: "required" })).toBe("tool_choice");
    expect(await refused({ tools: [{ type: "function", function: { name: "bad name!" } }] })).toBe("tools.0.function.name");
    expect(await refused({ tools: [tools[0], tools[0]] })).toBe("tools.1.function.name");
    expect(await refused({ messages: [question, { role: "tool", tool_call_id: "call_never", content: "{}" }] })).toBe("messages.1.tool_call_id");
    expect(await refused({ functions: [{ name: "old" }] })).toBe("functions");
    expect(generationRequests(servers.openai)).toHaveLength(0);
  });
});

describe("/api/v1 tools with nothing configured (offline model)", () => {
  beforeAll(() => {
    for (const name of gatewayEnv) delete process.env[name];
    resetGateway();
  });

  it("answers a required tool choice with a schema-valid call, non-streaming", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "keel-chat", messages: [question], tools, tool_choice: "required" })
      .withResponse();
    expect(response.headers.get("x-keel-offline")).toBe("true");
    const call = functionOf(data.choices[0]!.message.tool_calls?.[0]);
    expect(data.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.name).toBe("forecast");
    const args = forecastArgs.parse(JSON.parse(call.arguments));
    expect(args.city).toBe("Paris");
  });

  it("streams a named tool's call as deltas that add up to valid arguments, then answers from the tool result", async () => {
    const stream = client.chat.completions.stream({
      model: "keel-chat",
      messages: [question],
      tools,
      tool_choice: { type: "function", function: { name: "forecast" } },
    });
    let pieces = 0;
    stream.on("tool_calls.function.arguments.delta", () => pieces++);
    const final = await stream.finalChatCompletion();
    const message = final.choices[0]!.message;
    const callId = message.tool_calls?.[0]?.id ?? "";
    expect(pieces).toBeGreaterThan(3);
    expect(forecastArgs.safeParse(JSON.parse(functionOf(message.tool_calls?.[0]).arguments)).success).toBe(true);

    const answer = await client.chat.completions.create({
      model: "keel-chat",
      messages: [question, message, { role: "tool", tool_call_id: callId, content: "Paris: sunny all week, highs of 24 degrees." }],
      tools,
    });
    expect(answer.choices[0]).toMatchObject({ finish_reason: "stop" });
    expect(answer.choices[0]!.message.content).toContain("sunny all week");
  });
});
