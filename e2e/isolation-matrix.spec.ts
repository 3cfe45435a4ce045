// The isolation matrix (issue 21.1): tenant A has a canary — a unique string sharing one prefix —
// in every tenant-owned table (the catalog says which); tenant B calls every page, route method,
// /api/v1 endpoint and server action of the production build (its manifests say which) with A's ids
// in the path, the query, the body or form, and the headers and cookies. No answer (status, headers,
// body, a live stream) may hold a canary byte, none may be a 5xx, and A's rows are the same after.
// A calling some of the same entry points sees its canaries, so the search can fail.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { expect, test, type Browser } from "@playwright/test";
import { person, signUp, type Person } from "./pages/keel";
import { startOwnServer, type OwnServer } from "./pages/own-server";
import { actionIdOf, buildMatrix, type MatrixCall, type TenantIds } from "./pages/isolation/entry-points";
import { actionRequest, cookieHeader, formData, send, type Answer, type Caller } from "./pages/isolation/http-calls";
import { canaryAllowList, connect, plantCanaryRows, snapshotTenant, tablesWithoutCanary, type Canaries, type Sql } from "./pages/isolation/tenant-rows";
import { ownServerPort } from "./pages/ports";

const PORT = ownServerPort("isolationMatrix");
const runId = randomBytes(4).toString("hex");
let canaryCount = 0;
// Lower-case letters and digits only: HTML, JSON and slugs carry them unchanged.
const canaries: Canaries = { prefix: `kcanary${runId}`, make: () => `kcanary${runId}x${(++canaryCount).toString(36)}` };
/** B's own content, never a canary: B's page must keep listing B's document (beta-notes.txt), or the matrix ran signed out and proved nothing. */
const beacon = `kbeacon${runId}`;

test.describe.configure({ mode: "serial" });
test.skip(!process.env.TEST_DATABASE_URL, "the matrix reads and plants tenant A's rows in PostgreSQL: set TEST_DATABASE_URL");

let server: OwnServer;
let sql: Sql;
let ids: TenantIds;
let alice: Caller;
let bob: Caller;

async function signedUpCaller(browser: Browser, who: Person, workspaceName: string): Promise<Caller> {
  const context = await browser.newContext({ baseURL: server.url });
  await signUp(await context.newPage(), who, workspaceName);
  const caller = { cookie: await cookieHeader(context), apiKey: "" };
  await context.close();
  return caller;
}

/** Calls a server action as `caller`, the way the browser does. */
function callAction(caller: Caller, path: string, action: string, args: unknown[], readForMs = 10_000): Promise<Answer> {
  const request = actionRequest(server.url, path, actionIdOf(action), args, { cookie: caller.cookie });
  return send(server.url, { ...request, readForMs });
}

async function createApiKey(caller: Caller, name: string): Promise<string> {
  const answer = await callAction(caller, "/settings", "app/(app)/settings/actions.ts#createApiKeyAction", [{ ok: true }, formData({ name })]);
  const key = /keel_[A-Za-z0-9_-]{20,}/.exec(answer.body)?.[0];
  if (!key) throw new Error(`no API key in the answer: ${answer.status} ${answer.body.slice(0, 300)}`);
  return key;
}

async function upload(caller: Caller, name: string, text: string, collectionId?: string): Promise<void> {
  const answer = await send(server.url, {
    method: "POST",
    path: `/api/documents${collectionId ? `?collectionId=${collectionId}` : ""}`,
    headers: { cookie: caller.cookie, origin: server.url, "x-file-name": encodeURIComponent(name), "content-type": "text/plain" },
    body: new Blob([text], { type: "text/plain" }),
  });
  expect(answer.status, answer.body.slice(0, 300)).toBe(201);
}

async function waitFor<T>(what: string, read: () => Promise<T | null | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function one<T extends object>(rows: Promise<T[]>, what: string): Promise<T> {
  const [row] = await rows;
  if (!row) throw new Error(`no ${what}`);
  return row;
}

/**
 * Columns that change without A doing anything: an open live stream's lease is renewed by the
 * server's own timer while the stream lasts (a stream of A's may still be open from the seeding).
 */
const changesOnItsOwn: Record<string, string[]> = { live_streams: ["expires_at"] };

/** Waits until A's rows stop changing (usage is metered and rolled up a moment after each call). */
async function settledSnapshot(): Promise<Record<string, string[]>> {
  let previous = JSON.stringify(await snapshotTenant(sql, ids.tenantId, changesOnItsOwn));
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const next = await snapshotTenant(sql, ids.tenantId, changesOnItsOwn);
    if (JSON.stringify(next) === previous) return next;
    previous = JSON.stringify(next);
  }
  throw new Error("tenant A's rows did not settle within 40 s");
}

function leakIn(answer: Answer): string | null {
  const text = `${answer.head}\n${answer.body}`;
  const at = text.indexOf(canaries.prefix);
  return at < 0 ? null : text.slice(Math.max(0, at - 80), at + 40);
}

/** Runs calls a few at a time: fast, without drowning a two-core machine. */
async function runAll(calls: MatrixCall[], concurrency: number): Promise<Map<MatrixCall, Answer>> {
  const answers = new Map<MatrixCall, Answer>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let call = calls[next++]; call; call = calls[next++]) answers.set(call, await send(server.url, call.request));
    }),
  );
  return answers;
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  server = await startOwnServer({
    name: "isolation",
    port: PORT,
    env: {
      KEEL_REQUIRE_EMAIL_VERIFICATION: "false",
      // No development outbox: it is the one page that shows everyone's mail, by design.
      KEEL_MAIL_OUTBOX: undefined,
      KEEL_OPERATOR_EMAILS: undefined,
      // The offline model answers: deterministic, and no provider is called.
      OPENAI_API_KEY: undefined,
      GOOGLE_GENERATIVE_AI_API_KEY: undefined,
      OPENAI_COMPATIBLE_BASE_URL: undefined,
    },
  });
  sql = connect(server.databaseUrl ?? "");
});

test.afterAll(async () => {
  await sql?.end();
  await server?.stop();
});

test("seeds A through the product, plants a canary in every other tenant table, and proves the coverage", async ({ browser }) => {
  test.setTimeout(180_000);
  const ada = { ...person("Ada"), name: `Ada ${canaries.make("users.name")}` };
  [alice, bob] = await Promise.all([
    signedUpCaller(browser, ada, `Alpha ${canaries.make("tenants.name")}`),
    signedUpCaller(browser, person("Bea"), `Beta ${beacon}`),
  ]);
  const { tenant_id: tenantId, user_id: userId } = await one(
    sql<
      { tenant_id: string; user_id: string }[]
    >`select m.tenant_id, m.user_id from memberships m join users u on u.id = m.user_id where u.email = ${ada.email}`,
    "membership of A",
  );

  // A: a collection, a document analysed in it, a grounded question answered, rated and corrected, an API key used.
  const collectionName = canaries.make("collections.name");
  await callAction(alice, "/documents", "app/(app)/documents/actions.ts#createCollectionAction", [{ ok: true }, formData({ name: collectionName })]);
  const { id: collectionId } = await one(
    sql<{ id: string }[]>`select id from collections where tenant_id = ${tenantId} and name = ${collectionName}`,
    "collection",
  );
  const fact = canaries.make("document_chunks.content");
  await upload(
    alice,
    `${canaries.make("documents.name")}.txt`,
    `Turbine report.\n\nThe north turbine code is ${fact}. It was serviced in March.\n`,
    collectionId,
  );
  await upload(bob, "beta-notes.txt", `Beta notes.\n\nThe beacon of this workspace is ${beacon}.\n`);
  const { id: documentId } = await waitFor("A's document to be analysed", async () => {
    const [row] = await sql<{ id: string }[]>`select id from documents where tenant_id = ${tenantId} and status = 'ready'`;
    return row;
  });
  const asked = await callAction(
    alice,
    "/chat",
    "app/(app)/chat/actions.ts#askAction",
    [null, { kind: "ask", question: `What is the north turbine code (${canaries.make("chat_messages.content")})?` }, { collectionIds: null }],
    60_000,
  );
  expect(asked.status, asked.body.slice(0, 300)).toBe(200);
  const answer = await waitFor("A's answer", async () => {
    const [row] = await sql<{ id: string; conversation_id: string }[]>`
      select id, conversation_id from chat_messages where tenant_id = ${tenantId} and role = 'assistant' and status <> 'streaming'`;
    return row;
  });
  await callAction(alice, `/chat/${answer.conversation_id}`, "app/(app)/chat/actions.ts#rateAnswerAction", [answer.id, 1]);
  await callAction(alice, `/chat/${answer.conversation_id}`, "app/(app)/chat/actions.ts#correctAnswerAction", [
    { ok: true },
    formData({ messageId: answer.id, correction: canaries.make("chat_messages.correction") }),
  ]);
  alice.apiKey = await createApiKey(alice, canaries.make("api_keys.name"));
  bob.apiKey = await createApiKey(bob, "Beta integration");
  const stored = await send(server.url, {
    method: "POST",
    path: "/api/v1/responses",
    headers: { authorization: `Bearer ${alice.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "keel-chat", input: `Remember ${canaries.make("api_responses.input_items")}`, store: true }),
  });
  expect(stored.status, stored.body.slice(0, 300)).toBe(200);

  // B's live stream is open while A uploads and analyses a second document: no event of A's may reach it.
  const live = send(server.url, {
    method: "GET",
    path: `/api/live?tenantId=${tenantId}`,
    headers: { cookie: bob.cookie, "x-tenant-id": tenantId },
    readForMs: 6_000,
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  await upload(
    alice,
    `${canaries.make("documents.name")}.txt`,
    `Second report.\n\nThe south turbine code is ${canaries.make("document_chunks.content")}.\n`,
    collectionId,
  );
  const liveAnswer = await live;
  expect(liveAnswer.status).toBe(200);
  expect(leakIn(liveAnswer), "B's live stream carried A's event").toBeNull();
  await waitFor("A's second document", async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from documents where tenant_id = ${tenantId} and status in ('queued', 'processing')`;
    return row?.n === 0;
  });

  const ref = async (query: Promise<{ id: string }[]>, what: string) => (await one(query, what)).id;
  const apiKeyId = await ref(sql`select id from api_keys where tenant_id = ${tenantId}`, "API key");
  const jobId = await ref(sql`select id from jobs where tenant_id = ${tenantId} order by created_at limit 1`, "job");
  const sessionId = await ref(sql`select id from user_sessions where user_id = ${userId} limit 1`, "session");
  const responseId = await ref(sql`select id from api_responses where tenant_id = ${tenantId}`, "stored response");

  // Every other tenant table gets an A row by SQL, as the table owner, with a canary in each text field.
  const failures = await plantCanaryRows(
    sql,
    { tenantId, userId, documentId, collectionId, conversationId: answer.conversation_id, jobId, apiKeyId },
    canaries,
  );
  expect(failures, "rows the matrix could not plant").toEqual({});

  const refOrPlanted = async (table: string, column = "id") =>
    (await one(sql<{ id: string }[]>`select ${sql(column)}::text as id from ${sql(table)} where tenant_id = ${tenantId} limit 1`, table)).id;
  ids = {
    tenantId,
    userId,
    sessionId,
    documentId,
    collectionId,
    conversationId: answer.conversation_id,
    answerId: answer.id,
    jobId,
    exportJobId: await refOrPlanted("workspace_exports", "job_id"),
    apiKeyId,
    invitationId: await refOrPlanted("invitations"),
    noticeId: await refOrPlanted("tenant_notices"),
    notificationId: await refOrPlanted("notifications"),
    responseId,
  };

  // The coverage proof: a tenant table added later fails here until it gets a canary or a reason on the allow-list.
  expect(await tablesWithoutCanary(sql, tenantId, canaries.prefix), "tenant tables with no A row holding a canary").toEqual([]);
  for (const table of Object.keys(canaryAllowList)) {
    const [exists] = await sql`select 1 from information_schema.columns where table_schema = 'public' and table_name = ${table} and column_name = 'tenant_id'`;
    expect(exists, `${table} is on the allow-list but is no tenant table`).toBeTruthy();
  }
});

test("B calls every entry point with A's ids in every channel: no canary, no 5xx, A's rows unchanged", async ({}, testInfo) => {
  test.setTimeout(180_000);
  const matrix = buildMatrix(ids, bob, server.url);
  expect(matrix.unknown, "entry points the isolation matrix has no case for (e2e/pages/isolation/entry-points.ts)").toEqual([]);
  expect(matrix.counts.pages).toBeGreaterThan(20);
  expect(matrix.counts.actions).toBeGreaterThan(50);

  const before = await settledSnapshot();
  const started = Date.now();
  const answers = await runAll(
    matrix.calls.filter((call) => !call.last),
    4,
  );
  // Still B, still signed in, before the calls that end the session: B sees B's own document.
  const own = await send(server.url, { method: "GET", path: "/documents", headers: { cookie: bob.cookie } });
  expect(own.body, "B's own page lost B's session during the matrix").toContain("beta-notes.txt");
  for (const [call, answer] of await runAll(
    matrix.calls.filter((call) => call.last),
    1,
  ))
    answers.set(call, answer);
  const statuses: Record<number, number> = {};
  const problems: string[] = [];
  for (const [call, answer] of answers) {
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    const leak = leakIn(answer);
    if (leak) problems.push(`${call.name}: ${answer.status}, A's canary in the answer: …${leak}…`);
    if (answer.status >= 500) problems.push(`${call.name}: ${answer.status} ${answer.body.slice(0, 200)}`);
    // An action Next.js cannot find answers 404 before any guard runs: that call would prove nothing.
    if (call.name.startsWith("action ") && (answer.status === 404 || /server action not found|failed to find server action/i.test(answer.body)))
      problems.push(`${call.name}: the action was not reached (${answer.status})`);
  }
  console.log(
    `isolation matrix: ${answers.size} calls (${matrix.counts.pages} pages, ${matrix.counts.routeMethods} route methods, ${matrix.counts.actions} actions) in ${Date.now() - started} ms; statuses ${JSON.stringify(statuses)}`,
  );
  // What each call answered, to read when a case needs checking (test-results/…/isolation-matrix.json).
  const table = [...answers].map(([call, answer]) => ({ call: call.name, status: answer.status, answer: answer.body.slice(0, 3_000) }));
  writeFileSync(testInfo.outputPath("isolation-matrix.json"), JSON.stringify(table, null, 2));
  // Soft, so a run that breaks a guard shows the leaks and A's changed rows together.
  expect.soft(problems).toEqual([]);
  expect(answers.size).toBe(matrix.calls.length);

  const after = await settledSnapshot();
  for (const table of Object.keys(before)) expect(after[table], `A's rows in ${table}`).toEqual(before[table]);
});

test("A calling the same entry points sees its own canaries (the search can fail)", async () => {
  const names = [
    `page /documents/[id] → /documents/${ids.documentId}`,
    `page /chat/[[...id]] → /chat/${ids.conversationId}`,
    `GET /api/documents/[id]/original → /api/documents/${ids.documentId}/original`,
    "page /settings",
  ];
  const own = buildMatrix(ids, alice, server.url).calls.filter((call) => names.includes(call.name));
  expect(own.length).toBe(4);
  for (const [call, answer] of await runAll(own, 2)) {
    expect(answer.status, call.name).toBe(200);
    expect(leakIn(answer), `${call.name} shows A its own canary`).not.toBeNull();
  }
});
