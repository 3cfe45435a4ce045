// Two instances of Keel, as two `npm start`s on two ports share one PostgreSQL: each with its own
// workers, job process and local executor, one AUTH_SECRET (a session works on both) and the same
// scripted OpenAI provider. A document uploaded through one shows its analysis live in a browser
// open on the other; the every-minute crons start one run per tick across both; and killing the
// instance that runs an analysis mid-step (SIGKILL, every process of it) leaves the other to
// finish it, once: no passage, vector or usage event twice. PostgreSQL only (PGlite is one process).
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { startFakeOpenAI, type FakeLlmServer } from "../test/fakes/fake-llm-server";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";
import { analysisJson, connect, documentOutcome, expectDocumentWhole, providerRequests, tenantOf, usageByFeature, type Sql } from "./pages/fault-checks";
import { documentRow, recordStages, stagesSeen, waitForStatus } from "./pages/documents";
import { person, signUp } from "./pages/keel";
import { startOwnServer, type OwnServer } from "./pages/own-server";
import { ownServerPort } from "./pages/ports";
import { holdsConnectionFrom, servingProcesses } from "./pages/server-processes";

test.describe.configure({ mode: "serial" });

const adminUrl = process.env.TEST_DATABASE_URL?.trim();
const ports = [ownServerPort("twoInstancesFirst"), ownServerPort("twoInstancesSecond")] as const;
const urls = ports.map((port) => `http://127.0.0.1:${port}`);
const owner = person("Tove");

let fake: FakeLlmServer;
let databaseUrl: string;
let sql: Sql;
const instances: OwnServer[] = [];
let bothReadyAt: Date;
let page: Page;
let api: APIRequestContext;
let tenantId: string;

test.skip(!adminUrl, "two instances share a PostgreSQL database (embedded PGlite is one process's)");

test.beforeAll(async ({ browser }) => {
  test.setTimeout(240_000);
  fake = await startFakeOpenAI();
  fake.setDefault({ kind: "text", text: analysisJson });
  databaseUrl = await createTestDatabase(adminUrl!, "keel_e2e_two_instances");
  sql = connect(databaseUrl);
  mkdirSync("test-results", { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  // One after the other: the first applies the migrations, as a rolling deploy's first instance does.
  for (const [index, port] of ports.entries()) {
    const log = createWriteStream(`test-results/two-instances-${index + 1}.log`);
    instances.push(
      await startOwnServer({
        name: `two-instances-${index + 1}`,
        port,
        databaseUrl,
        env: {
          AUTH_SECRET: secret,
          KEEL_REQUIRE_EMAIL_VERIFICATION: "false",
          OPENAI_API_KEY: "e2e-two-instances",
          OPENAI_BASE_URL: fake.url,
          OPENAI_COMPATIBLE_BASE_URL: undefined,
          GOOGLE_GENERATIVE_AI_API_KEY: undefined,
          KEEL_ROUTES: undefined,
          KEEL_PROVIDER_ORDER: undefined,
          // One serving worker each (plus the job process): two instances on a two-core machine.
          KEEL_WORKERS: "1",
          // A killed instance's lease runs out in seconds, and the retry it costs waits 0.1 s, not 10.
          KEEL_LOCAL_EXECUTOR_LEASE_MS: "3000",
          KEEL_LOCAL_EXECUTOR_SLEEP_SCALE: "0.01",
        },
        onLine: (line) => log.write(`${line}\n`),
      }),
    );
  }
  bothReadyAt = new Date();
  const context = await browser.newContext({ baseURL: urls[1] });
  page = await context.newPage();
  await signUp(page, owner, `Two instances ${Date.now().toString(36)}`);
  // The browser's cookies are the host's, whatever the port: the session made on instance 2 signs
  // requests to instance 1 too (both check it with the same secret).
  api = context.request;
  tenantId = await tenantOf(sql, owner.email);
});

test.afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await sql?.end();
  if (databaseUrl) await dropTestDatabase(adminUrl!, databaseUrl).catch((e: unknown) => console.error("e2e: could not drop", e));
  await fake?.close();
});

/** Uploads a file through one instance, as the Documents page does (its bytes as the body). */
async function uploadThrough(instance: 0 | 1, name: string, text: string): Promise<string> {
  const response = await api.post(`${urls[instance]}/api/documents`, {
    headers: { origin: urls[instance]!, "x-file-name": encodeURIComponent(name), "content-type": "text/markdown" },
    data: Buffer.from(text),
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { document: { id: string } }).document.id;
}

const turbineNotes = (site: string) =>
  `# ${site}\n\n` +
  Array.from({ length: 40 }, (_, i) => `Turbine ${i} at ${site} was inspected by divers in spring; blade wear was ${i % 7} millimetres.`).join("\n\n");

test("a document uploaded through instance 1 moves through its analysis live on a page open on instance 2", async () => {
  // The analysis answers after 3 s, so the page has stages to show before "ready".
  fake.script({ kind: "text", text: analysisJson, delayMs: 3_000 });
  await page.goto(`${urls[1]}/documents`);
  await expect(page.getByRole("heading", { name: "No documents yet" })).toBeVisible();
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  await recordStages(page);

  await uploadThrough(0, "orkney.md", turbineNotes("Orkney"));
  await expect(documentRow(page, "orkney.md")).toBeVisible({ timeout: 15_000 });
  await waitForStatus(page, "orkney.md", "ready", 60_000);
  const seen = await stagesSeen(page, "orkney.md");
  expect(seen.at(-1)).toBe("ready");
  expect(
    seen.some((stage) => ["queued", "extracting", "chunking", "embedding", "analysing"].includes(stage)),
    `stages seen: ${seen.join(", ")}`,
  ).toBe(true);
  // Live: the page on instance 2 was never reloaded.
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true)).toBe(true);
});

test("each every-minute cron starts one run per tick across both instances", async () => {
  test.setTimeout(200_000);
  const schedules = await sql<{ function_id: string }[]>`select function_id from local_executor_crons where schedule = '* * * * *'`;
  const crons = schedules.map((s) => s.function_id).sort();
  expect(crons.length).toBeGreaterThan(0);
  // The first whole tick while both instances run (each cron's run of it is one test of the claim),
  // and a few seconds for it to fire and finish. Ticks before both were up could be one instance's alone.
  const firstTick = Math.ceil(bothReadyAt.getTime() / 60_000) * 60_000;
  const ticks = [new Date(firstTick)];
  const wait = firstTick + 8_000 - Date.now();
  if (wait > 0) await page.waitForTimeout(wait);
  for (const port of ports) expect(servingProcesses(port).length, `instance on port ${port} still serving`).toBeGreaterThan(0);

  const runs = await sql<{ function_id: string; scheduled_at: string; status: string }[]>`
    select function_id, event->'data'->>'scheduledAt' as scheduled_at, status from local_executor_runs
     where function_id = any(${crons}) and (event->'data'->>'scheduledAt')::timestamptz = any(${ticks.map((t) => t.toISOString())}::timestamptz[])`;
  for (const functionId of crons) {
    for (const tick of ticks) {
      const fired = runs.filter((r) => r.function_id === functionId && new Date(r.scheduled_at).getTime() === tick.getTime());
      expect(fired, `${functionId} at ${tick.toISOString()}`).toHaveLength(1);
      expect(fired[0]!.status, `${functionId} at ${tick.toISOString()}`).toBe("completed");
    }
  }
});

test("killing the instance that runs an analysis mid-step: the other finishes it, nothing twice", async () => {
  test.setTimeout(120_000);
  const chatBefore = providerRequests(fake, "/chat/completions").length;
  // The analysis call hangs (60 s) the first time: the instance running it is killed meanwhile.
  fake.script({ kind: "text", text: analysisJson, delayMs: 60_000 });
  const documentId = await uploadThrough(0, "hoy.md", turbineNotes("Hoy"));
  await expect.poll(() => providerRequests(fake, "/chat/completions").length, { timeout: 60_000 }).toBe(chatBefore + 1);
  const hanging = providerRequests(fake, "/chat/completions").at(-1)!;
  const holders = ports.filter((port) => holdsConnectionFrom(servingProcesses(port), hanging.remotePort!));
  expect(holders, "exactly one instance is making the analysis call").toHaveLength(1);
  const killed = ports.indexOf(holders[0]!);
  const survivor = 1 - killed;
  console.log(`two instances: instance ${killed + 1} was making the analysis call; killed, instance ${survivor + 1} goes on`);
  await instances[killed]!.kill();
  expect(servingProcesses(ports[killed]!)).toHaveLength(0);

  await expect.poll(async () => (await documentOutcome(sql, documentId))?.status, { timeout: 60_000 }).toBe("ready");
  await expectDocumentWhole(sql, documentId);
  // The analysis call was made once more, by the survivor (the only instance left running).
  const chat = providerRequests(fake, "/chat/completions");
  expect(chat).toHaveLength(chatBefore + 2);
  expect(servingProcesses(ports[survivor]!).length).toBeGreaterThan(0);
  // The run is recorded as completed after its last step (the one that made the document ready) answered.
  const runStatus = async () =>
    (
      await sql<{ status: string }[]>`
        select status from local_executor_runs where function_id = 'keel-analyze-document' and event->'data'->>'documentId' = ${documentId}`
    ).map((r) => r.status);
  await expect.poll(runStatus, { timeout: 15_000 }).toEqual(["completed"]);

  // Every call the provider answered is one usage event; the one cut off by the kill answered
  // nothing and left only its quota reservation (billed by the settle-expired-reservations cron).
  const usage = await usageByFeature(sql, tenantId);
  expect(usage.duplicateRequestIds).toBe(0);
  expect(usage.byFeature["document-embedding"]).toBe(providerRequests(fake, "/embeddings").length);
  expect(usage.byFeature["document-analysis"]).toBe(chat.length - 1);
});
