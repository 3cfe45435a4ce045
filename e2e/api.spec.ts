// The official `openai` client, unchanged (baseURL + apiKey), against Keel's /api/v1 on the
// production build: streaming and non-streaming chat, the Responses API, embeddings, models, rate
// limits set in Settings (429), 401 and 402.
import { expect, test, type Page } from "@playwright/test";
import OpenAI from "openai";
import { person, signUp } from "./pages/keel";

test.describe.configure({ mode: "serial" });

const owner = person("Olivia");
let page: Page;
let apiKey: string;
let client: OpenAI;

const context = "Keel stores every document in Postgres. The gateway meters each model call. Refunds for annual plans are possible within 30 days.";

test.beforeAll(async ({ browser, baseURL }) => {
  page = await (await browser.newContext()).newPage();
  await signUp(page, owner, `Api ${Date.now().toString(36)}`);
  await page.goto("/settings", { waitUntil: "networkidle" });
  await page.getByLabel("Key name").fill("e2e client");
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyField = page.getByLabel(/New API key/);
  await expect(keyField).toHaveValue(/^keel_/);
  apiKey = await keyField.inputValue();
  client = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey, maxRetries: 0 });
});

test("lists the roles as models and says it is offline", async () => {
  const models = await client.models.list();
  expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(["keel-chat", "keel-analysis", "keel-title", "keel-embedding"]));
  expect(models.data[0]!.owned_by).toBe("keel-offline");
  await page.goto("/settings");
  await expect(page.getByTestId("ai-providers")).toContainText("offline");
  await expect(page.getByText("Offline model", { exact: true })).toBeVisible();
});

test("answers chat completions, non-streaming and streaming", async () => {
  const messages = [
    { role: "system" as const, content: context },
    { role: "user" as const, content: "When can annual plans be refunded?" },
  ];
  const { data: completion, response } = await client.chat.completions.create({ model: "keel-chat", messages }).withResponse();
  expect(response.headers.get("x-keel-offline")).toBe("true");
  const text = completion.choices[0]!.message.content ?? "";
  expect(text).toContain("30 days");
  expect(completion.usage!.total_tokens).toBeGreaterThan(0);

  const stream = await client.chat.completions.create({
    model: "keel-chat",
    messages: [messages[0]!, { role: "user", content: "Where are documents stored?" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let streamed = "";
  let chunks = 0;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    streamed += chunk.choices[0]?.delta?.content ?? "";
    if (chunk.choices[0]?.delta?.content) chunks++;
    if (chunk.usage) usage = chunk.usage;
  }
  expect(streamed).toContain("Postgres");
  expect(chunks).toBeGreaterThan(1);
  expect(usage?.completion_tokens).toBeGreaterThan(0);
});

test("creates embeddings in the client's default base64 encoding and as floats", async () => {
  const base64 = await client.embeddings.create({ model: "keel-embedding", input: ["refund policy", "where documents live"] });
  expect(base64.data).toHaveLength(2);
  expect(base64.data[0]!.embedding).toHaveLength(384);
  const norm = Math.sqrt(base64.data[0]!.embedding.reduce((s, v) => s + v * v, 0));
  expect(norm).toBeCloseTo(1, 3);
  const floats = await client.embeddings.create({ model: "keel-embedding", input: "refund policy", encoding_format: "float" });
  expect(floats.data[0]!.embedding[5]).toBeCloseTo(base64.data[0]!.embedding[5]!, 5);
});

test("refuses a bad key with 401 and an unknown model with 404, in OpenAI's error shape", async ({ baseURL }) => {
  const bad = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey: "keel_not-a-real-key", maxRetries: 0 });
  const error = await bad.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
  const unknown = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
  expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
});

test("answers the Responses API, streaming and not, with OpenAI's rate-limit headers", async () => {
  const { data, response } = await client.responses
    .create({ model: "keel-chat", instructions: context, input: "When can annual plans be refunded?" })
    .withResponse();
  expect(data.status).toBe("completed");
  expect(data.output_text).toContain("30 days");
  expect(Number(response.headers.get("x-ratelimit-limit-requests"))).toBe(60);
  expect(Number(response.headers.get("x-ratelimit-remaining-requests"))).toBeLessThan(60);
  const events: string[] = [];
  const stream = client.responses.stream({ model: "keel-chat", instructions: context, input: "Where are documents stored?" });
  stream.on("event", (event) => events.push(event.type));
  const final = await stream.finalResponse();
  expect(final.output).toMatchObject([{ type: "message", content: [{ type: "output_text", text: expect.stringContaining("Postgres") }] }]);
  expect(events[0]).toBe("response.created");
  expect(events.at(-1)).toBe("response.completed");
  expect(events.filter((type) => type === "response.output_text.delta").length).toBeGreaterThan(1);
  // Continued in the same workspace.
  const next = await client.responses.create({ model: "keel-chat", previous_response_id: data.id, input: "And where are documents stored?" });
  expect(next.previous_response_id).toBe(data.id);
});

test("holds a key to the requests per minute an admin sets in Settings: 429 with Retry-After", async ({ baseURL }) => {
  await page.goto("/settings");
  await page.getByLabel("Key name").fill("e2e limited");
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyField = page.getByLabel(/New API key/);
  await expect(keyField).toHaveValue(/^keel_/);
  const limited = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey: await keyField.inputValue(), maxRetries: 0 });

  await page.goto("/settings");
  await page.getByLabel("API requests per minute, per key").fill("2");
  await page.getByRole("button", { name: "Save rate limits" }).click();
  await expect(page.getByText("API rate limits saved.")).toBeVisible();
  await expect(page.getByTestId("rate-limits-summary")).toContainText("2");

  const first = await limited.models.list().withResponse();
  expect(first.response.headers.get("x-ratelimit-limit-requests")).toBe("2");
  expect(first.response.headers.get("x-ratelimit-remaining-requests")).toBe("1");
  await limited.models.list();
  const refused = await limited.models.list().catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
  const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
  expect(error.code).toBe("rate_limit_exceeded");
  expect(Number(error.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);

  // Back to the plan's, for the tests after this one.
  await page.goto("/settings");
  await page.getByLabel("API requests per minute, per key").fill("");
  await page.getByRole("button", { name: "Save rate limits" }).click();
  await expect(page.getByText("API rate limits saved.")).toBeVisible();
  await expect((await client.models.list().withResponse()).response.headers.get("x-ratelimit-limit-requests")).toBe("60");
});

test("keeps answering on the offline model once the paid allowance is tiny: offline calls spend none of it", async () => {
  await page.goto("/settings");
  await page.getByLabel("Monthly token limit").fill("10");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByText("AI limits saved.")).toBeVisible();
  // The 402 for a spent allowance is in e2e/chat-providers.spec.ts, where a paid provider answers.
  const completion = await client.chat.completions.create({
    model: "keel-chat",
    messages: [
      { role: "system", content: context },
      { role: "user", content: "Where does Keel store documents?" },
    ],
    max_tokens: 50,
  });
  expect(completion.choices[0]?.message.content).toContain("Postgres");
});

test("shows the calls on the Usage page, and a revoked key stops working", async () => {
  await page.goto("/usage");
  await expect(page.getByTestId("usage-table")).toContainText("keel-offline-extractive");
  await expect(page.getByTestId("usage-table")).toContainText("keel-offline-hash-384");

  await page.goto("/settings");
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("form", { name: "Revoke e2e client" }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("api-key-list")).toContainText("Revoked");
  const error = await client.models.list().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
});
