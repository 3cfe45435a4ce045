// POST /api/v1/responses with the official `openai` client over a real socket, through the
// production server's /api/v1 router: text and message input, instructions, the typed stream
// events (and the client's own ResponseStream accumulating them), function tools and their
// outputs, text.format json_schema, previous_response_id within the workspace only, and the same
// gateway as chat completions (cache, fallback, metering, rate-limit headers).
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { getGateway } from "@/lib/ai";
import { createApiKey } from "@/lib/auth/api-keys";
import { createTenant } from "@/test/fixtures";
import { startApiServerForFile } from "@/test/api-server";
import { eventsOf, generationRequests, startFakeProvidersForFile } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();
const api = startApiServerForFile(servers, { fallback: true });
let client: OpenAI;
let tenantId: string;

beforeAll(async () => {
  const owner = await createTenant("Responses");
  tenantId = owner.tenantId;
  client = new OpenAI({ baseURL: api.baseURL, apiKey: (await createApiKey(owner, "responses")).key, maxRetries: 0 });
});

const noCache = { headers: { "x-keel-cache": "no-cache, no-store" } };
const lastProviderBody = () =>
  generationRequests(servers.openai).at(-1)!.body as { messages: Array<{ role: string; content: unknown; tool_calls?: unknown }> } & Record<string, unknown>;

const forecast: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "forecast",
  description: "Weather forecast for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: true,
};

describe("POST /v1/responses", () => {
  it("answers text input with instructions, in OpenAI's response shape, metered and rate-limited like any call", async () => {
    servers.openai.script({ kind: "text", text: "Bonjour !", usage: { input: 9, output: 3 } });
    const { data, response } = await client.responses
      .create({ model: "keel-chat", instructions: "Answer in French.", input: "Say hello." }, noCache)
      .withResponse();
    expect(data).toMatchObject({
      object: "response",
      status: "completed",
      model: "gpt-4.1-mini",
      instructions: "Answer in French.",
      output: [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Bonjour !", annotations: [] }] }],
      usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12 },
    });
    expect(data.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(data.output_text).toBe("Bonjour !");
    expect(lastProviderBody().messages).toEqual([
      { role: "system", content: "Answer in French." },
      { role: "user", content: "Say hello." },
    ]);
    expect(response.headers.get("x-keel-provider")).toBe("openai");
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("60");
    await getGateway().flush();
    expect((await eventsOf(tenantId)).at(-1)).toMatchObject({ feature: "api", status: "ok", inputTokens: 9, outputTokens: 3 });
  });

  it("takes message items in every role, and replays an assistant's earlier answer", async () => {
    servers.openai.script({ kind: "text", text: "Four." });
    const data = await client.responses.create(
      {
        model: "keel-chat",
        input: [
          { role: "developer", content: "Be brief." },
          { role: "user", content: [{ type: "input_text", text: "2+2?" }] },
          { type: "message", role: "assistant", content: [{ type: "output_text", text: "4", annotations: [] }], id: "msg_1", status: "completed" },
          { role: "user", content: "In words?" },
        ],
      },
      noCache,
    );
    expect(data.output_text).toBe("Four.");
    expect(lastProviderBody().messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "2+2?" },
      { role: "assistant", content: "4" },
      { role: "user", content: "In words?" },
    ]);
  });

  it("streams the typed events the official client parses, in order", async () => {
    servers.openai.script({ kind: "text", text: "one two three", usage: { input: 4, output: 3 }, chunkDelayMs: 5 });
    const stream = await client.responses.create({ model: "keel-chat", input: "Count.", stream: true }, noCache);
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    expect(types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]);
    const deltas = events.filter((e): e is OpenAI.Responses.ResponseTextDeltaEvent => e.type === "response.output_text.delta");
    expect(deltas.map((d) => d.delta).join("")).toBe("one two three");
    expect(deltas.length).toBeGreaterThan(1);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response).toMatchObject({ status: "completed", usage: { input_tokens: 4, output_tokens: 3 } });

    // The client's accumulating helper builds the same answer from those events.
    servers.openai.script({ kind: "text", text: "alpha beta", chunkDelayMs: 5 });
    const final = await client.responses.stream({ model: "keel-chat", input: "Greek?" }, noCache).finalResponse();
    // (The helper's final response has no output_text of its own: the text is in the message item.)
    expect(final.output).toMatchObject([{ type: "message", status: "completed", content: [{ type: "output_text", text: "alpha beta" }] }]);
    expect(final.status).toBe("completed");
  });

  it("returns function calls as output items, then answers from function_call_output items on the stored conversation", async () => {
    servers.openai.script({ kind: "tool-calls", calls: [{ id: "call_w1", name: "forecast", arguments: { city: "Oslo" } }] });
    const first = await client.responses.create({ model: "keel-chat", input: "Weather in Oslo?", tools: [forecast], tool_choice: "auto" }, noCache);
    expect(first.output).toEqual([
      { id: expect.stringMatching(/^fc_/), type: "function_call", call_id: "call_w1", name: "forecast", arguments: '{"city":"Oslo"}', status: "completed" },
    ]);
    expect(lastProviderBody()).toMatchObject({ tools: [{ type: "function", function: { name: "forecast", strict: true } }], tool_choice: "auto" });

    servers.openai.script({ kind: "text", text: "Snow in Oslo." });
    const second = await client.responses.create(
      {
        model: "keel-chat",
        previous_response_id: first.id,
        input: [{ type: "function_call_output", call_id: "call_w1", output: '{"sky":"snow"}' }],
        tools: [forecast],
      },
      noCache,
    );
    expect(second.output_text).toBe("Snow in Oslo.");
    expect(second.previous_response_id).toBe(first.id);
    expect(lastProviderBody().messages).toMatchObject([
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", tool_calls: [{ id: "call_w1", type: "function", function: { name: "forecast", arguments: '{"city":"Oslo"}' } }] },
      { role: "tool", tool_call_id: "call_w1", content: '{"sky":"snow"}' },
    ]);

    // An output for a call nobody made is refused before any provider call.
    await expect(
      client.responses.create({ model: "keel-chat", input: [{ type: "function_call_output", call_id: "call_nobody", output: "x" }] }),
    ).rejects.toMatchObject({ status: 400, param: "input" });
  });

  it("streams a function call's arguments as deltas, ending in a complete function_call item", async () => {
    servers.openai.script({ kind: "tool-calls", calls: [{ id: "call_s1", name: "forecast", arguments: { city: "Lima" } }] });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const stream = client.responses.stream({ model: "keel-chat", input: "Weather in Lima?", tools: [forecast] }, noCache);
    stream.on("event", (event) => events.push(event));
    const final = await stream.finalResponse();
    expect(final.output).toMatchObject([{ type: "function_call", call_id: "call_s1", name: "forecast", arguments: '{"city":"Lima"}' }]);
    const types = events.map((e) => e.type);
    expect(types).toContain("response.function_call_arguments.delta");
    expect(events.find((e) => e.type === "response.function_call_arguments.done")).toMatchObject({ name: "forecast", arguments: '{"city":"Lima"}' });
  });

  it("passes text.format json_schema to the provider as structured output", async () => {
    servers.openai.script({ kind: "text", text: '{"city":"Paris","celsius":21}' });
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, celsius: { type: "number" } },
      required: ["city", "celsius"],
      additionalProperties: false,
    };
    const data = await client.responses.create(
      { model: "keel-chat", input: "Weather as JSON.", text: { format: { type: "json_schema", name: "weather", schema, strict: true } } },
      noCache,
    );
    expect(JSON.parse(data.output_text)).toEqual({ city: "Paris", celsius: 21 });
    expect(data.text).toMatchObject({ format: { type: "json_schema", name: "weather" } });
    expect(lastProviderBody()).toMatchObject({
      response_format: { type: "json_schema", json_schema: { name: "weather", schema: { required: ["city", "celsius"] } } },
    });
  });

  it("continues a conversation with previous_response_id in its workspace only; store: false keeps nothing", async () => {
    servers.openai.script({ kind: "text", text: "Nice to meet you, Ada." }, { kind: "text", text: "You are Ada." });
    const first = await client.responses.create({ model: "keel-chat", instructions: "Be warm.", input: "I am Ada." }, noCache);
    const second = await client.responses.create({ model: "keel-chat", previous_response_id: first.id, input: "Who am I?" }, noCache);
    expect(second.output_text).toBe("You are Ada.");
    // Instructions are not carried over, as at OpenAI; the turns are.
    expect(lastProviderBody().messages).toEqual([
      { role: "user", content: "I am Ada." },
      { role: "assistant", content: "Nice to meet you, Ada." },
      { role: "user", content: "Who am I?" },
    ]);

    const stranger = await createTenant("Responses, elsewhere");
    const elsewhere = new OpenAI({ baseURL: api.baseURL, apiKey: (await createApiKey(stranger, "other")).key, maxRetries: 0 });
    const before = generationRequests(servers.openai).length;
    await expect(elsewhere.responses.create({ model: "keel-chat", previous_response_id: first.id, input: "Who am I?" })).rejects.toMatchObject({
      status: 404,
      code: "previous_response_not_found",
    });
    await expect(client.responses.create({ model: "keel-chat", previous_response_id: "resp_not-a-real-id", input: "?" })).rejects.toMatchObject({
      status: 404,
    });
    expect(generationRequests(servers.openai)).toHaveLength(before);

    servers.openai.script({ kind: "text", text: "Forgotten." });
    const unstored = await client.responses.create({ model: "keel-chat", input: "Forget me.", store: false }, noCache);
    await expect(client.responses.create({ model: "keel-chat", previous_response_id: unstored.id, input: "?" })).rejects.toMatchObject({ status: 404 });
  });

  it("goes through the same gateway: cached answers replayed, a failing provider falls back", async () => {
    servers.openai.script({ kind: "text", text: "Cached answer." });
    const miss = await client.responses.create({ model: "keel-chat", input: "A question worth caching." }).withResponse();
    // The answer is cached by the meter, off the response path: wait for it.
    await getGateway().flush();
    const hit = await client.responses.create({ model: "keel-chat", input: "A question worth caching." }).withResponse();
    expect(miss.response.headers.get("x-keel-cache")).toBe("miss");
    expect(hit.response.headers.get("x-keel-cache")).toBe("exact");
    expect(hit.data.output_text).toBe("Cached answer.");

    servers.openai.setDefault({ kind: "status", status: 503 });
    servers.gemini.script({ kind: "text", text: "From Gemini." });
    const fallback = await client.responses.create({ model: "keel-chat", input: "Anyone there?" }, noCache).withResponse();
    expect(fallback.data.output_text).toBe("From Gemini.");
    expect(fallback.response.headers.get("x-keel-provider")).toBe("google");
  });
});
