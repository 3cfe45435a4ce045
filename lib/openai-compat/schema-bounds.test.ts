// A JSON schema past the bounds (lib/ai/json-schema-bounds.ts), in a response format or in tool
// parameters, is refused with a 400 in OpenAI's error shape on /api/v1/chat/completions and
// /api/v1/responses, before any work: no provider call, no quota reserved, no usage recorded.
// Driven with the official `openai` client over a real socket, through the production router.
import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiV1Router } from "@/scripts/api-router";
import { createApiKey } from "@/lib/auth/api-keys";
import { createTenant } from "@/test/fixtures";
import { eventsOf, generationRequests, quotaRow, startFakeProvidersForFile } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();
const gatewayEnv = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "KEEL_MAX_RETRIES"] as const;
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
  const tenant = await createTenant("Schema bounds");
  tenantId = tenant.tenantId;
  const { key } = await createApiKey(tenant, "schemas");
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

/** The attack: a 353-byte body whose tool demands a billion items, the call required. */
const hugeMinItems = { type: "object", properties: { rows: { type: "array", items: { type: "string" }, minItems: 1_000_000_000 } }, required: ["rows"] };
/** Within each keyword's cap, but 1,000 × 1,000 strings of 50 characters multiply past the value limit. */
const multiplied = {
  type: "object",
  properties: { grid: { type: "array", minItems: 1_000, items: { type: "array", minItems: 1_000, items: { type: "string", minLength: 50 } } } },
  required: ["grid"],
};
function deeplyNested(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < levels; i++) schema = { type: "array", items: schema };
  return schema;
}

async function refusal(call: () => Promise<unknown>): Promise<{ status: number; error: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { status: error.status ?? 0, error: error.error as Record<string, unknown>, ms: performance.now() - started };
  }
  throw new Error("expected the request to be refused");
}

const question = [{ role: "user" as const, content: "Fill the rows" }];

/** What work leaves behind: provider calls, usage events, reserved and used quota. */
async function traces() {
  const quota = await quotaRow(tenantId);
  return {
    providerCalls: generationRequests(servers.openai).length,
    usageEvents: (await eventsOf(tenantId)).length,
    reservedTokens: quota?.reservedTokens ?? 0,
    usedTokens: quota?.usedTokens ?? 0,
  };
}

async function expectNoWork(before: Awaited<ReturnType<typeof traces>>) {
  expect(await traces()).toEqual(before);
  expect(before.reservedTokens).toBe(0);
}

describe.each([
  ["the offline model", false],
  ["a configured provider", true],
] as const)("/api/v1 refuses schemas past the bounds, with %s", (_label, withProvider) => {
  beforeAll(() => {
    if (withProvider) {
      process.env.OPENAI_API_KEY = "test";
      process.env.OPENAI_BASE_URL = servers.openai.url;
      process.env.KEEL_MAX_RETRIES = "0";
    } else {
      delete process.env.OPENAI_API_KEY;
      delete process.env.OPENAI_BASE_URL;
    }
    resetGateway();
  });

  it("chat completions: tools with tool_choice required (the issue's 353-byte call), at once and twice over", async () => {
    const before = await traces();
    const body = {
      model: "keel-chat",
      messages: question,
      tools: [{ type: "function" as const, function: { name: "fill", parameters: hugeMinItems } }],
      tool_choice: "required" as const,
    };
    expect(JSON.stringify(body).length).toBeLessThan(400);
    const [first, second] = await Promise.all([refusal(() => client.chat.completions.create(body)), refusal(() => client.chat.completions.create(body))]);
    for (const { status, error, ms } of [first, second]) {
      expect(status).toBe(400);
      expect(error).toEqual({
        message: "Invalid 'tools.0.function.parameters': 'minItems' is 1000000000; at most 1000 is supported. (at 'properties.rows.minItems')",
        type: "invalid_request_error",
        param: "tools.0.function.parameters",
        code: "invalid_request",
      });
      expect(ms).toBeLessThan(1_000);
    }
    await expectNoWork(before);
  });

  it("chat completions: response_format json_schema, multiplied demands and deep nesting", async () => {
    const before = await traces();
    const multipliedFormat = await refusal(() =>
      client.chat.completions.create({
        model: "keel-chat",
        messages: question,
        response_format: { type: "json_schema", json_schema: { name: "grid", schema: multiplied } },
      }),
    );
    expect(multipliedFormat.status).toBe(400);
    expect(multipliedFormat.error).toMatchObject({ type: "invalid_request_error", param: "response_format.json_schema.schema", code: "invalid_request" });
    expect(multipliedFormat.error.message).toMatch(/smallest value this schema allows is longer than 256000 characters/);

    const deep = await refusal(() =>
      client.chat.completions.create({
        model: "keel-chat",
        messages: question,
        tools: [{ type: "function", function: { name: "deep", parameters: { type: "object", properties: { x: deeplyNested(2_000) } } } }],
        tool_choice: { type: "function", function: { name: "deep" } },
      }),
    );
    expect(deep.status).toBe(400);
    expect(deep.error).toMatchObject({ type: "invalid_request_error", param: "tools.0.function.parameters" });
    expect(deep.error.message).toMatch(/nests more than 64 levels deep/);
    await expectNoWork(before);
  });

  it("responses: tool parameters with tool_choice required, and text.format", async () => {
    const before = await traces();
    const tools = await refusal(() =>
      client.responses.create({
        model: "keel-chat",
        input: "Fill the rows",
        tools: [{ type: "function", name: "fill", parameters: hugeMinItems, strict: false }],
        tool_choice: "required",
      }),
    );
    expect(tools.status).toBe(400);
    expect(tools.error).toMatchObject({ type: "invalid_request_error", param: "tools.0.parameters", code: "invalid_request" });
    expect(tools.error.message).toMatch(/'minItems' is 1000000000; at most 1000/);

    const format = await refusal(() =>
      client.responses.create({ model: "keel-chat", input: "Fill the grid", text: { format: { type: "json_schema", name: "grid", schema: multiplied } } }),
    );
    expect(format.status).toBe(400);
    expect(format.error).toMatchObject({ type: "invalid_request_error", param: "text.format.schema" });
    await expectNoWork(before);
  });

  it("still answers a schema within the bounds", async () => {
    const before = await traces();
    if (withProvider) servers.openai.script({ kind: "tool-calls", calls: [{ id: "call_ok", name: "fill", arguments: { rows: ["a", "b"] } }] });
    const within = { ...hugeMinItems, properties: { rows: { type: "array", items: { type: "string" }, minItems: 2 } } };
    const answer = await client.chat.completions.create(
      { model: "keel-chat", messages: question, tools: [{ type: "function", function: { name: "fill", parameters: within } }], tool_choice: "required" },
      { headers: { "x-keel-cache": "no-cache, no-store" } },
    );
    const call = answer.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && (JSON.parse(call.function.arguments) as { rows: string[] }).rows.length).toBeGreaterThanOrEqual(2);
    // Metered (written after the answer): waited for, so the next test starts from a settled count.
    await vi.waitFor(async () => expect((await traces()).usageEvents).toBe(before.usageEvents + 1), { timeout: 10_000 });
  });
});
