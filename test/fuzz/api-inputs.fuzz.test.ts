// Property-based fuzzing (fast-check) of every /api/v1 input: the route handlers themselves, called
// with real Request objects on the database the tests run on (PostgreSQL with TEST_DATABASE_URL),
// answered by the offline model. Bodies range from garbage and arbitrary JSON to near-valid
// requests with wrong types, hostile JSON schemas and odd headers. For every input: never a 500,
// every refusal in OpenAI's error shape, and a refused request leaves nothing behind (no usage
// event, no stored response, no quota reserved).
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as chatCompletions } from "@/app/api/v1/chat/completions/route";
import { POST as embeddings } from "@/app/api/v1/embeddings/route";
import { GET as models } from "@/app/api/v1/models/route";
import { GET as unknownPath } from "@/app/api/v1/[...path]/route";
import { POST as responses } from "@/app/api/v1/responses/route";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { createApiKey } from "@/lib/auth/api-keys";
import { createTenant } from "@/test/fixtures";

const savedEnv = { rateLimits: process.env.KEEL_API_RATE_LIMITS, openai: process.env.OPENAI_API_KEY };
const resetGateway = () => (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");
let key: string;
let tenantId: string;

beforeAll(async () => {
  // Many requests a minute from one key: the rate limits would answer most of them with a 429.
  process.env.KEEL_API_RATE_LIMITS = "off";
  delete process.env.OPENAI_API_KEY;
  resetGateway();
  const tenant = await createTenant("Fuzzed API");
  tenantId = tenant.tenantId;
  key = (await createApiKey(tenant, "fuzz")).key;
});
afterAll(() => {
  for (const [name, value] of [
    ["KEEL_API_RATE_LIMITS", savedEnv.rateLimits],
    ["OPENAI_API_KEY", savedEnv.openai],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetGateway();
});

/** What a request can leave behind in the workspace. */
async function traces(): Promise<{ usageEvents: number; storedResponses: number; reservedTokens: number }> {
  await getGateway().flush();
  const [row] = await withSystem("test: fuzz traces", (tx) =>
    rawRows<{ usage: string; responses: string; reserved: string }>(
      tx,
      sql`select (select count(*) from usage_events where tenant_id = ${tenantId}) as usage,
                 (select count(*) from api_responses where tenant_id = ${tenantId}) as responses,
                 (select coalesce(sum(reserved_tokens), 0) from quota_periods where tenant_id = ${tenantId}) as reserved`,
    ),
  );
  return { usageEvents: Number(row!.usage), storedResponses: Number(row!.responses), reservedTokens: Number(row!.reserved) };
}

// --- Arbitraries ---------------------------------------------------------------------------------

const text = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("", "__proto__", "constructor", "\u0000", "\u202e"),
);
/** Anything JSON can say, small. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** A value of the right type most of the time, and anything else sometimes. */
const mostly = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary }, { weight: 1, arbitrary: anyJson });

/** JSON schemas: ordinary ones, and hostile ones (huge minimums, deep nesting, self references). */
/** A minimum a schema asks for: small mostly, sometimes enormous. */
const minimum = (huge: number) =>
  fc.option(fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 5 }) }, { weight: 1, arbitrary: fc.nat({ max: huge }) }), { nil: undefined });

const jsonSchema: fc.Arbitrary<unknown> = fc.letrec<{ schema: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ type: fc.constantFrom("string", "number", "integer", "boolean", "null"), minLength: minimum(2e9) }, { requiredKeys: ["type"] }),
    fc.record({ type: fc.constant("array"), items: tie("schema"), minItems: minimum(2e12) }, { requiredKeys: ["type"] }),
    fc.record({
      type: fc.constant("object"),
      properties: fc.dictionary(fc.constantFrom("a", "b", "__proto__", "rows"), tie("schema"), { maxKeys: 3 }),
      required: fc.array(fc.constantFrom("a", "b", "__proto__", "rows"), { maxLength: 3 }),
      minProperties: minimum(1e9),
    }),
    fc.record({ anyOf: fc.array(tie("schema"), { minLength: 1, maxLength: 2 }) }),
    fc.constantFrom<unknown>({ $ref: "#" }, { $ref: "#/$defs/missing" }, { $ref: "http://example.com/x" }, true, false),
  ),
})).schema;

const message = fc.record(
  {
    role: fc.constantFrom("system", "developer", "user", "assistant", "tool", "function", "x"),
    content: fc.oneof(
      text,
      fc.array(fc.record({ type: fc.constantFrom("text", "image_url", "refusal"), text: mostly(text) }), { maxLength: 2 }),
      fc.constant(null),
      anyJson,
    ),
    name: mostly(text),
    tool_call_id: mostly(text),
    tool_calls: fc.array(
      fc.record({ id: mostly(text), type: mostly(fc.constant("function")), function: fc.record({ name: mostly(text), arguments: mostly(text) }) }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ["role"] },
);

const tool = fc.record({
  type: mostly(fc.constant("function")),
  function: fc.record(
    { name: mostly(fc.stringMatching(/^[a-z_]{1,10}$/)), description: mostly(text), parameters: mostly(jsonSchema) },
    { requiredKeys: ["name"] },
  ),
});

const model = fc.oneof(
  { weight: 3, arbitrary: fc.constant("keel-chat") },
  fc.constantFrom("keel-analysis", "keel-title", "keel-rag", "keel-embedding", "gpt-4o"),
  text,
);
/** A plain question, so that many fuzzed requests get past validation and do real work. */
const question = fc.record({ role: fc.constant("user"), content: fc.string({ minLength: 1, maxLength: 80 }) }).map((m) => [m]);

/** A valid tool, but for its (fuzzed) parameters schema. */
const validTool = fc.record({ type: fc.constant("function"), function: fc.record({ name: fc.constantFrom("fill", "lookup"), parameters: jsonSchema }) });
const validFormat = fc.oneof(
  fc.record({ type: fc.constantFrom("text", "json_object") }),
  fc.record({ type: fc.constant("json_schema"), json_schema: fc.record({ name: fc.constant("answer"), schema: jsonSchema }) }),
);

/** Requests that are valid in shape (their JSON schemas fuzzed): many get answered. */
const tameChatBody = fc.record(
  {
    model: fc.constantFrom("keel-chat", "keel-title"),
    messages: question,
    stream: fc.boolean(),
    max_tokens: fc.integer({ min: 1, max: 500 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    n: fc.integer({ min: 1, max: 2 }),
    response_format: validFormat,
    tools: fc.uniqueArray(validTool, { maxLength: 2, selector: (t) => t.function.name }),
    tool_choice: fc.constantFrom("none", "auto"),
  },
  { requiredKeys: ["model", "messages"] },
);

const wildChatBody = fc.record(
  {
    model,
    messages: fc.oneof({ weight: 3, arbitrary: question }, fc.array(message, { maxLength: 4 }), anyJson),
    stream: mostly(fc.boolean()),
    n: mostly(fc.integer({ min: -2, max: 12 })),
    max_tokens: mostly(fc.integer({ min: -5, max: 200_000 })),
    temperature: mostly(fc.double({ min: -1, max: 3, noNaN: true })),
    stop: mostly(fc.oneof(text, fc.array(text, { maxLength: 6 }))),
    response_format: mostly(
      fc.oneof(
        fc.record({ type: fc.constantFrom("text", "json_object") }),
        fc.record({ type: fc.constant("json_schema"), json_schema: fc.record({ name: text, schema: jsonSchema }) }),
      ),
    ),
    tools: mostly(fc.array(tool, { maxLength: 3 })),
    tool_choice: mostly(
      fc.oneof(fc.constantFrom("none", "auto", "required"), fc.record({ type: fc.constant("function"), function: fc.record({ name: text }) })),
    ),
    functions: anyJson,
    keel: anyJson,
  },
  { requiredKeys: ["model", "messages"] },
);
const chatBody = fc.oneof(tameChatBody, wildChatBody);

const tameResponsesBody = fc.record(
  {
    model: fc.constant("keel-chat"),
    input: fc.string({ minLength: 1, maxLength: 80 }),
    store: fc.boolean(),
    stream: fc.boolean(),
    text: fc.record({
      format: fc.oneof(
        fc.record({ type: fc.constantFrom("text", "json_object") }),
        fc.record({ type: fc.constant("json_schema"), name: fc.constant("answer"), schema: jsonSchema }),
      ),
    }),
    tools: fc.uniqueArray(fc.record({ type: fc.constant("function"), name: fc.constantFrom("fill", "lookup"), parameters: jsonSchema }), {
      maxLength: 2,
      selector: (t) => t.name,
    }),
  },
  { requiredKeys: ["model", "input"] },
);

const wildResponsesBody = fc.record(
  {
    model,
    input: fc.oneof(
      { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 80 }) },
      fc.array(
        fc.oneof(
          fc.record({ role: fc.constantFrom("user", "system", "developer", "assistant", "x"), content: mostly(text) }),
          fc.record({ type: fc.constant("function_call"), call_id: mostly(text), name: mostly(text), arguments: mostly(text) }),
          fc.record({ type: fc.constant("function_call_output"), call_id: mostly(text), output: mostly(text) }),
          anyJson,
        ),
        { maxLength: 3 },
      ),
      anyJson,
    ),
    instructions: mostly(text),
    previous_response_id: mostly(fc.oneof(text, fc.stringMatching(/^resp_[0-9a-f]{32}$/))),
    tools: mostly(
      fc.array(fc.record({ type: mostly(fc.constant("function")), name: mostly(fc.stringMatching(/^[a-z_]{1,10}$/)), parameters: mostly(jsonSchema) }), {
        maxLength: 2,
      }),
    ),
    tool_choice: mostly(fc.constantFrom("none", "auto", "required")),
    text: mostly(
      fc.record({
        format: fc.oneof(
          fc.record({ type: fc.constantFrom("text", "json_object") }),
          fc.record({ type: fc.constant("json_schema"), name: text, schema: jsonSchema }),
        ),
      }),
    ),
    max_output_tokens: mostly(fc.integer({ min: -5, max: 200_000 })),
    store: mostly(fc.boolean()),
    stream: mostly(fc.boolean()),
    metadata: mostly(fc.dictionary(text, text, { maxKeys: 20 })),
    background: anyJson,
  },
  { requiredKeys: ["model", "input"] },
);
const responsesBody = fc.oneof(tameResponsesBody, wildResponsesBody);

const tameEmbeddingsBody = fc.record({
  model: fc.constant("keel-embedding"),
  input: fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.string({ maxLength: 80 }), { minLength: 1, maxLength: 4 })),
});

const wildEmbeddingsBody = fc.record(
  {
    model,
    input: fc.oneof(text, fc.array(text, { maxLength: 4 }), fc.array(fc.integer(), { maxLength: 4 }), anyJson),
    encoding_format: mostly(fc.constantFrom("float", "base64", "hex")),
    dimensions: mostly(fc.integer({ min: -4, max: 5_000 })),
  },
  { requiredKeys: [] },
);
const embeddingsBody = fc.oneof(tameEmbeddingsBody, wildEmbeddingsBody);

/** The raw body: garbage, arbitrary JSON, or the endpoint's own shape gone wrong. */
const bodyOf = (shaped: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
    { weight: 6, arbitrary: shaped.map((value) => JSON.stringify(value)) },
  );

const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant("valid") },
  { weight: 1, arbitrary: fc.constantFrom("", "Bearer ", "Bearer keel_x", "Basic abc") },
);

// --- The property ---------------------------------------------------------------------------------

type Handler = (request: Request) => Promise<Response>;

async function call(handler: Handler, path: string, method: string, auth: string, body: string | undefined): Promise<Response> {
  const headers = new Headers({ "content-type": "application/json", "x-keel-cache": "no-cache, no-store" });
  if (auth === "valid") headers.set("authorization", `Bearer ${key}`);
  else if (auth) headers.set("authorization", auth);
  return handler(new Request(`http://127.0.0.1/api/v1/${path}`, { method, headers, body }));
}

/** Statuses seen per endpoint: the fuzz must reach both the refusals and the answers. */
const seen = new Map<string, number[]>();

async function checkAnswer(response: Response, before: Awaited<ReturnType<typeof traces>>, endpoint: string): Promise<void> {
  seen.set(endpoint, [...(seen.get(endpoint) ?? []), response.status]);
  const text = await response.text(); // streams too: read to the end
  expect(response.status, text.slice(0, 300)).toBeLessThan(500);
  if (response.status >= 400) {
    const body = JSON.parse(text) as { error?: { message?: unknown; type?: unknown } };
    expect(typeof body.error?.message, text.slice(0, 300)).toBe("string");
    expect(typeof body.error?.type).toBe("string");
    expect(await traces(), `refused with ${response.status} but left work behind: ${text.slice(0, 200)}`).toEqual(before);
  }
}

function count(statuses: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return counts;
}

const runs = { numRuns: Number(process.env.FUZZ_RUNS ?? 50), endOnFailure: true };

describe("fuzzed /api/v1 inputs: no 500, OpenAI-shaped refusals, nothing stored when refused", () => {
  it.each([
    ["chat/completions", chatCompletions, chatBody],
    ["responses", responses, responsesBody],
    ["embeddings", embeddings, embeddingsBody],
  ] as const)(
    "POST /api/v1/%s",
    async (path, handler, shaped) => {
      await fc.assert(
        fc.asyncProperty(authorization, bodyOf(shaped), async (auth, body) => {
          const before = await traces();
          await checkAnswer(await call(handler, path, "POST", auth, body), before, path);
        }),
        runs,
      );
      const statuses = seen.get(path) ?? [];
      console.log(`fuzz ${path}: ${statuses.length} requests; statuses ${JSON.stringify(Object.fromEntries(count(statuses)))}`);
      expect(statuses.some((status) => status === 200)).toBe(true);
      expect(statuses.some((status) => status === 400)).toBe(true);
    },
    120_000,
  );

  it("GET /api/v1/models and unknown paths", async () => {
    await fc.assert(
      fc.asyncProperty(authorization, fc.webPath(), async (auth, path) => {
        const before = await traces();
        await checkAnswer(await call(models, "models", "GET", auth, undefined), before, "models");
        await checkAnswer(await call(unknownPath, path.replace(/^\//, ""), "GET", auth, undefined), before, "unknown");
      }),
      { ...runs, numRuns: Math.ceil(runs.numRuns / 3) },
    );
  }, 60_000);
});
