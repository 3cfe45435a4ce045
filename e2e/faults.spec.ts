// Faults, on the production build served as `npm start` serves it, with Keel's providers pointed at
// two scripted fakes (OpenAI first, an OpenAI-compatible fallback second) and its database reached
// through a TCP proxy the test can cut (test/fakes/tcp-proxy.ts; connections refused, as when
// PostgreSQL is down):
// - the server killed (SIGKILL, every process) in the middle of a document's analysis and started
//   again on the same database: the document ends ready, with nothing written twice;
// - the database cut in the middle of a chat answer and of an upload: a clear error, nothing left
//   half-written, and the same request served once the database is back;
// - provider storms through /api/v1 (all 429, all 500, flapping, hanging before the first token):
//   the fallback answers, or with every provider down a clear refusal; one usage event per request,
//   and the quota used is the events' sum.
// PostgreSQL only: the proxy stands between the server and a PostgreSQL database.
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import OpenAI from "openai";
import { startFakeOpenAI, type FakeLlmServer } from "../test/fakes/fake-llm-server";
import { startTcpProxy, type TcpProxy } from "../test/fakes/tcp-proxy";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";
import { analysisJson, connect, documentOutcome, expectDocumentWhole, providerRequests, tenantOf, usageByFeature, type Sql } from "./pages/fault-checks";
import { person, signUp } from "./pages/keel";
import { startOwnServer, type OwnServer } from "./pages/own-server";
import { twoProviderEnv } from "./provider-server";
import { servingProcesses } from "./pages/server-processes";
import { ownServerPort } from "./pages/ports";

test.describe.configure({ mode: "serial" });

const adminUrl = process.env.TEST_DATABASE_URL?.trim();
const port = ownServerPort("faults");
const baseUrl = `http://127.0.0.1:${port}`;
test.use({ baseURL: baseUrl });
const owner = person("Ines");
const storageDir = path.resolve(`test-results/faults-uploads-${process.pid}`);
const secret = randomBytes(32).toString("base64url");

let primary: FakeLlmServer;
let fallback: FakeLlmServer;
let proxy: TcpProxy;
let databaseUrl: string;
let sql: Sql;
let server: OwnServer;
let page: Page;
let tenantId: string;

test.skip(!adminUrl, "the database is cut through a proxy in front of PostgreSQL");

/** Starts the server (again) on the same database, reached through the proxy. */
async function startServer(run: number): Promise<OwnServer> {
  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${proxy.port}`;
  const log = createWriteStream(`test-results/faults-server-${run}.log`);
  return startOwnServer({
    name: "faults",
    port,
    databaseUrl: url.toString(),
    env: {
      ...twoProviderEnv(primary, fallback),
      AUTH_SECRET: secret,
      KEEL_STORAGE_DIR: storageDir,
      KEEL_METER_SPILL_DIR: `${storageDir}-spill`,
      // A hanging provider is given up on after 2 s, not 30.
      KEEL_FIRST_TOKEN_TIMEOUT_MS: "2000",
      // A killed server's lease runs out in seconds, and the retry it costs waits 0.1 s, not 10.
      KEEL_LOCAL_EXECUTOR_LEASE_MS: "3000",
      KEEL_LOCAL_EXECUTOR_SLEEP_SCALE: "0.01",
    },
    onLine: (line) => log.write(`${line}\n`),
  });
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  primary = await startFakeOpenAI();
  fallback = await startFakeOpenAI();
  primary.setDefault({ kind: "text", text: analysisJson });
  fallback.setDefault({ kind: "text", text: analysisJson });
  databaseUrl = await createTestDatabase(adminUrl!, "keel_e2e_faults");
  sql = connect(databaseUrl);
  const target = new URL(databaseUrl);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  mkdirSync("test-results", { recursive: true });
  server = await startServer(1);
  page = await (await browser.newContext()).newPage();
  await signUp(page, owner, `Faults ${Date.now().toString(36)}`);
  tenantId = await tenantOf(sql, owner.email);
});

test.afterAll(async () => {
  await server?.stop();
  await proxy?.close();
  await sql?.end();
  if (databaseUrl) await dropTestDatabase(adminUrl!, databaseUrl).catch((e: unknown) => console.error("e2e: could not drop", e));
  await Promise.all([primary?.close(), fallback?.close()]);
  rmSync(storageDir, { recursive: true, force: true });
  rmSync(`${storageDir}-spill`, { recursive: true, force: true });
});

const notes = (site: string, lines = 30) =>
  `# ${site}\n\n` + Array.from({ length: lines }, (_, i) => `Line ${i}: the ${site} tidal turbine ${i} was inspected in spring.`).join("\n\n");

/** The session cookie of the browser, for requests made outside it. */
async function cookieHeader(): Promise<string> {
  return (await page.context().cookies(baseUrl)).map((c) => `${c.name}=${c.value}`).join("; ");
}

/** Files of the workspace's originals in the blob store (a directory per document). */
function storedOriginals(): string[] {
  const dir = path.join(storageDir, tenantId);
  return existsSync(dir) ? readdirSync(dir) : [];
}

test("a server killed mid-analysis and started again on the same database: the document ends ready, nothing twice", async () => {
  test.setTimeout(240_000);
  const chatBefore = providerRequests(primary, "/chat/completions").length;
  // The analysis call hangs the first time: the server is killed while it waits.
  primary.script({ kind: "text", text: analysisJson, delayMs: 60_000 });
  const uploaded = await page.request.post("/api/documents", {
    headers: { origin: baseUrl, "x-file-name": "scapa.md", "content-type": "text/markdown" },
    data: Buffer.from(notes("Scapa", 40)),
  });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  const documentId = ((await uploaded.json()) as { document: { id: string } }).document.id;
  await expect.poll(() => providerRequests(primary, "/chat/completions").length, { timeout: 60_000 }).toBe(chatBefore + 1);
  expect((await documentOutcome(sql, documentId))?.status).not.toBe("ready");

  await server.kill();
  expect(servingProcesses(port)).toHaveLength(0);
  server = await startServer(2);

  await expect.poll(async () => (await documentOutcome(sql, documentId))?.status, { timeout: 90_000 }).toBe("ready");
  await expectDocumentWhole(sql, documentId);
  const chat = providerRequests(primary, "/chat/completions");
  expect(chat).toHaveLength(chatBefore + 2);
  // Every call the provider answered is one usage event; the one cut off by the kill answered
  // nothing (its quota reservation is billed by the settle-expired-reservations cron).
  const usage = await usageByFeature(sql, tenantId);
  expect(usage.duplicateRequestIds).toBe(0);
  expect(usage.byFeature["document-embedding"]).toBe(providerRequests(primary, "/embeddings").length);
  expect(usage.byFeature["document-analysis"]).toBe(chat.length - 1);
  // The page, served by the new processes, shows it ready.
  await page.goto(`/documents/${documentId}`);
  await expect(page.getByTestId("document-status")).toHaveAttribute("data-stage", "ready");
});

/** The last answer on the chat page. */
const lastAnswer = () => page.getByTestId("assistant-message").last();
const words = (label: string, count: number) => Array.from({ length: count }, (_, i) => `${label}${i}`).join(" ");

async function askHere(question: string) {
  await page.getByLabel("Your question").fill(question);
  await page.getByLabel("Your question").press("Enter");
}

async function ask(question: string) {
  await page.goto("/chat");
  await page.getByRole("link", { name: "New conversation" }).click();
  await askHere(question);
}

test("the database cut mid chat answer: the answer is saved once it is back, nothing stays streaming, and asking works again", async () => {
  test.setTimeout(120_000);
  primary.script({ kind: "text", text: `Cut ${words("w", 40)} the-end`, chunkDelayMs: 100, usage: { input: 30, output: 42 } });
  primary.setDefault({ kind: "text", text: "Turbine inspections" });
  await ask("Tell me about the turbines, at length.");
  await expect(lastAnswer()).toContainText("w3");
  proxy.cut("refuse");
  // The model's words still reach the page: they do not wait on the database.
  await expect(lastAnswer()).toContainText("w39 the-end", { timeout: 20_000 });
  // The final save cannot be made while the database is away; the answer waits for it.
  await page.waitForTimeout(3_000);
  const [waiting] = await sql<{ status: string }[]>`
    select status from chat_messages where role = 'assistant' and tenant_id = ${tenantId}::uuid order by created_at desc limit 1`;
  expect(waiting?.status).toBe("streaming");
  await proxy.restore();
  await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });

  const answers = await sql<{ id: string; status: string; content: string }[]>`
    select id, status, content from chat_messages where role = 'assistant' and tenant_id = ${tenantId}::uuid`;
  expect(answers.filter((a) => a.status === "streaming")).toHaveLength(0);
  const answer = answers.find((a) => a.content.includes("the-end"));
  expect(answer?.status).toBe("complete");
  expect(answer?.content).toBe(`Cut ${words("w", 40)} the-end`);
  await expect.poll(async () => (await sql`select 1 from usage_events where request_id = ${answer!.id}`).length, { timeout: 15_000 }).toBe(1);

  // The page re-reads itself 2 s and 6 s after an answer (for the conversation's title): let those
  // pass, so what follows is the question's own outcome.
  await page.waitForTimeout(6_500);

  // Asking while the database is away, from the open conversation: a clear refusal at once, not a
  // hang or an error page.
  proxy.cut("refuse");
  await askHere("Is anyone there?");
  await expect(page.getByText("Keel cannot reach its database right now. Try again in a moment.")).toBeVisible({ timeout: 20_000 });
  // Opening a page meanwhile: Keel's own explanation, not Next.js's bare error page.
  await page.goto("/chat");
  await expect(page.getByTestId("page-error")).toContainText("Keel could not load this page just now");
  await expect(page.getByText("This page couldn’t load")).toHaveCount(0);

  // Once the database is back, "Try again" loads the page and the same question is answered.
  await proxy.restore();
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(page.getByRole("link", { name: "New conversation" })).toBeVisible({ timeout: 20_000 });
  primary.script({ kind: "text", text: "Back again, answering." });
  await ask("Is anyone there?");
  await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  await expect(lastAnswer()).toContainText("Back again, answering.");
});

/** An upload whose body arrives in two halves, `between` run after the first; resolves with the answer. */
function slowUpload(name: string, bytes: Buffer, cookie: string, between: () => Promise<void>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${baseUrl}/api/documents`,
      {
        method: "POST",
        headers: { cookie, origin: baseUrl, "x-file-name": name, "content-type": "text/markdown", "content-length": String(bytes.length) },
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    const half = Math.floor(bytes.length / 2);
    request.write(bytes.subarray(0, half), () => {
      void between().then(
        () => request.end(bytes.subarray(half)),
        (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
      );
    });
  });
}

test("the database cut mid upload: a clear 503, no document row and no stored file, and the same upload works once it is back", async () => {
  test.setTimeout(120_000);
  primary.setDefault({ kind: "text", text: analysisJson });
  const cookie = await cookieHeader();
  const bytes = Buffer.from(notes("Stroma", 200));
  const documentsBefore = await sql`select id from documents where tenant_id = ${tenantId}::uuid`;
  const originalsBefore = storedOriginals();

  const cutOff = await slowUpload("stroma.md", bytes, cookie, async () => {
    // Half the file has arrived when the database goes away.
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.cut("refuse");
  });
  expect(cutOff.status, cutOff.body).toBe(503);
  expect(JSON.parse(cutOff.body)).toMatchObject({
    error: { code: "database_unavailable", message: "Keel cannot reach its database right now. Try again in a moment." },
  });
  expect(await sql`select id from documents where tenant_id = ${tenantId}::uuid`).toHaveLength(documentsBefore.length);
  expect(storedOriginals().sort()).toEqual(originalsBefore.sort());

  await proxy.restore();
  const again = await slowUpload("stroma.md", bytes, cookie, async () => {});
  expect(again.status, again.body).toBe(201);
  const documentId = (JSON.parse(again.body) as { document: { id: string } }).document.id;
  await expect.poll(async () => (await documentOutcome(sql, documentId))?.status, { timeout: 60_000 }).toBe("ready");
  expect(storedOriginals()).toContain(documentId);
});

interface StormCase {
  name: string;
  /** What the primary answers (every request); the fallback answers `fallbackText` unless `fallbackDown`. */
  primary: Parameters<FakeLlmServer["setDefault"]>[0];
  primaryFirst?: Parameters<FakeLlmServer["script"]>;
  stream: boolean;
  expected: { from: "primary" | "fallback"; text: string } | { refused: true };
  fallbackDown?: boolean;
}

const storms: StormCase[] = [
  {
    name: "flapping: a 500 then an answer, retried on the same provider",
    primary: { kind: "text", text: "The primary answers after one 500." },
    primaryFirst: [{ kind: "status", status: 500 }],
    stream: false,
    expected: { from: "primary", text: "The primary answers after one 500." },
  },
  {
    name: "all 429",
    primary: { kind: "status", status: 429, retryAfterMs: 50 },
    stream: false,
    expected: { from: "fallback", text: "The fallback answers the 429 storm." },
  },
  {
    name: "all 500",
    primary: { kind: "status", status: 500 },
    stream: true,
    expected: { from: "fallback", text: "The fallback answers the 500 storm." },
  },
  {
    name: "hanging before the first token",
    primary: { kind: "hang" },
    stream: true,
    expected: { from: "fallback", text: "The fallback answers the hang." },
  },
  {
    name: "every provider down",
    primary: { kind: "status", status: 500 },
    fallbackDown: true,
    stream: false,
    expected: { refused: true },
  },
];

test("provider storms through /api/v1: the fallback answers, or a clear refusal; one usage event per request, and the quota used is their sum", async () => {
  test.setTimeout(180_000);
  await page.goto("/settings");
  await page.getByLabel("Key name").fill("storm client");
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyField = page.getByLabel(/New API key/);
  await expect(keyField).toHaveValue(/^keel_/);
  const client = new OpenAI({ baseURL: `${baseUrl}/api/v1`, apiKey: await keyField.inputValue(), maxRetries: 0, timeout: 60_000 });
  const [key] = await sql<{ id: string }[]>`select id from api_keys where tenant_id = ${tenantId}::uuid and name = 'storm client'`;
  expect(key).toBeDefined();
  // Compared before and after: the analysis killed earlier left a reservation that only expiry settles.
  const quotaBefore = await quotaAndEvents();

  for (const [index, storm] of storms.entries()) {
    primary.reset();
    fallback.reset();
    primary.setDefault(storm.primary);
    if (storm.primaryFirst) primary.script(...storm.primaryFirst);
    const fallbackText = "expected" in storm && "text" in storm.expected && storm.expected.from === "fallback" ? storm.expected.text : "unused";
    fallback.setDefault(storm.fallbackDown ? { kind: "status", status: 429 } : { kind: "text", text: fallbackText });
    // A question of its own each time: never a cached answer.
    const messages = [{ role: "user" as const, content: `Storm ${index}: ${storm.name}. What happened at the turbines?` }];
    const before = Date.now();
    let answer: string | null = null;
    let refusal: InstanceType<typeof OpenAI.APIError> | null = null;
    try {
      if (storm.stream) {
        const stream = await client.chat.completions.create({ model: "keel-chat", messages, stream: true });
        answer = "";
        for await (const chunk of stream) answer += chunk.choices[0]?.delta.content ?? "";
      } else {
        answer = (await client.chat.completions.create({ model: "keel-chat", messages })).choices[0]?.message.content ?? "";
      }
    } catch (error) {
      if (!(error instanceof OpenAI.APIError)) throw error;
      refusal = error;
    }
    const took = Date.now() - before;
    console.log(`storm "${storm.name}": ${took} ms, primary asked ${primary.requests.length}×, fallback ${fallback.requests.length}×`);
    expect(took, storm.name).toBeLessThan(30_000);
    if ("refused" in storm.expected) {
      expect(refusal, storm.name).not.toBeNull();
      expect(refusal!.status).toBe(503);
      expect(refusal!.message).toMatch(/provider|unavailable|try again/i);
    } else {
      expect(refusal, `${storm.name}: ${refusal?.message}`).toBeNull();
      expect(answer).toBe(storm.expected.text);
      if (storm.expected.from === "primary") expect(fallback.requests.filter((r) => r.path.endsWith("/chat/completions"))).toHaveLength(0);
    }
    // One usage event per request, whatever happened on the way.
    await expect
      .poll(async () => Number((await sql<{ n: string }[]>`select count(*) as n from usage_events where api_key_id = ${key!.id}::uuid`)[0]!.n), {
        timeout: 15_000,
      })
      .toBe(index + 1);
  }
  const usage = await usageByFeature(sql, tenantId);
  expect(usage.duplicateRequestIds).toBe(0);
  // The quota charged for the storms is the sum of their events, and nothing of theirs stays reserved.
  const quotaAfter = await quotaAndEvents();
  expect(quotaAfter.eventTokens - quotaBefore.eventTokens).toBeGreaterThan(0);
  expect(quotaAfter.used - quotaBefore.used).toBe(quotaAfter.eventTokens - quotaBefore.eventTokens);
  expect(quotaAfter.reserved).toBe(quotaBefore.reserved);
});

/** The workspace's quota used and reserved, and the tokens of its usage events. */
async function quotaAndEvents(): Promise<{ used: number; reserved: number; eventTokens: number }> {
  const [events] = await sql<{ tokens: string }[]>`
    select coalesce(sum(input_tokens + output_tokens), 0) as tokens from usage_events where tenant_id = ${tenantId}::uuid`;
  const [quota] = await sql<{ used: string; reserved: string }[]>`
    select coalesce(sum(used_tokens), 0) as used, coalesce(sum(reserved_tokens), 0) as reserved from quota_periods where tenant_id = ${tenantId}::uuid`;
  return { used: Number(quota!.used), reserved: Number(quota!.reserved), eventTokens: Number(events!.tokens) };
}
