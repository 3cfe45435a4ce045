// `npm run dev` and `npm start` exit within KEEL_SHUTDOWN_GRACE_MS of SIGTERM while a browser
// holds a live-updates stream (/api/live) open and a chat answer is streaming: the event stream
// ends at once, the answer runs until the grace period is nearly up, then is saved as stopped and
// billed for what was delivered. Each server is started the way a person starts it (through npm,
// which forwards the signal), on a database of its own, with Keel's OpenAI provider pointed at a
// scripted fake in this process that streams a long answer slowly. SIGTERM goes to npm, as a
// supervisor sends it: npm passes it on only because the scripts `exec` the server.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { expect, test } from "@playwright/test";
import { freshDatabase, serverEnv, signInOverHttp } from "../bench/app-server";
import { startFakeOpenAI, type FakeLlmServer } from "../test/fakes/fake-llm-server";
import { ownServerPort } from "./pages/ports";

test.describe.configure({ mode: "serial" });

const port = ownServerPort("shutdown");
const baseUrl = `http://127.0.0.1:${port}`;
const GRACE_MS = 6_000;
/** Process start-up and tear-down on a loaded two-core machine; the grace itself is the bound under test. */
const MARGIN_MS = 4_000;
const WORDS = 400;
const answerText = Array.from({ length: WORDS }, (_, i) => `word${i}`).join(" ");

let fake: FakeLlmServer;
let env: NodeJS.ProcessEnv;
let dropDatabase: () => Promise<void>;
let account: { email: string; password: string };
let conversations: string[];
/** Every server the tests started (as npm's process group), for afterEach. */
const started: ChildProcess[] = [];

test.beforeAll(async () => {
  test.setTimeout(120_000);
  fake = await startFakeOpenAI();
  // 400 words, 100 ms apart: the answer is still streaming long after the grace period.
  fake.setDefault({ kind: "text", text: answerText, chunkDelayMs: 100, usage: { input: 20, output: WORDS } });
  env = { ...serverEnv(port), KEEL_SHUTDOWN_GRACE_MS: String(GRACE_MS), OPENAI_API_KEY: "e2e", OPENAI_BASE_URL: fake.url, KEEL_WORKERS: "2" };
  for (const name of ["GOOGLE_GENERATIVE_AI_API_KEY", "OPENAI_COMPATIBLE_BASE_URL", "KEEL_ROUTES", "NODE_ENV"]) delete env[name];
  dropDatabase = await freshDatabase(env, "keel_e2e_shutdown");
  const { seedBenchWorkspace } = await import("../bench/workspace");
  const { createConversation, renameConversation } = await import("../lib/chat/conversations");
  const { closeDatabase } = await import("../db/client");
  const seeded = await seedBenchWorkspace("Shutdown", `shutdown-${Date.now()}@example.test`);
  account = seeded;
  conversations = [];
  for (const title of ["dev", "start"]) {
    // Titled and not grounded: the answer is the provider's stream alone.
    const conversation = await createConversation(seeded.ctx, { collectionIds: [] });
    await renameConversation(seeded.ctx, conversation.id, title);
    conversations.push(conversation.id);
  }
  await closeDatabase();
});

test.afterAll(async () => {
  await fake?.close();
  await dropDatabase?.();
});

function startServer(script: "dev" | "start"): ChildProcess {
  const child = spawn("npm", ["run", script, "--", "-p", String(port), "-H", "127.0.0.1"], {
    env: { ...env, ...(script === "start" ? { NODE_ENV: "production" } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
    // A process group of its own, so a failed test can end everything it started.
    detached: true,
  });
  started.push(child);
  let output = "";
  const keep = (data: Buffer) => (output = (output + data.toString()).slice(-4_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("exit", (code, signal) => {
    if (code !== 0) console.log(`npm run ${script} exited (${signal ?? code}):\n${output}`);
  });
  return child;
}

async function waitUntilServing(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 400_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error("the server exited while starting");
    const ok = await fetch(`${baseUrl}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("the server did not start");
}

/** A streamed response read as it arrives; `ended` settles when the server ends it (or cuts it). */
function openStream(path: string, init: { method: string; headers: Record<string, string>; body?: string }) {
  let text = "";
  let resolveEnded!: (at: number) => void;
  const ended = new Promise<number>((resolve) => (resolveEnded = resolve));
  const request = http.request(`${baseUrl}${path}`, { method: init.method, headers: init.headers }, (response) => {
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => (text += chunk));
    response.on("end", () => resolveEnded(Date.now()));
    response.on("error", () => resolveEnded(Date.now()));
    response.on("close", () => resolveEnded(Date.now()));
  });
  request.on("error", () => resolveEnded(Date.now()));
  request.end(init.body);
  return { text: () => text, ended };
}

function askActionId(script: "dev" | "start"): string {
  const file = script === "dev" ? ".next/dev/server/server-reference-manifest.json" : ".next/server/server-reference-manifest.json";
  if (!existsSync(file)) throw new Error(`${file} is missing`);
  const manifest = JSON.parse(readFileSync(file, "utf8")) as { node: Record<string, { filename: string; exportedName: string }> };
  const id = Object.entries(manifest.node).find(([, v]) => v.filename === "app/(app)/chat/actions.ts" && v.exportedName === "askAction")?.[0];
  if (!id) throw new Error("askAction is not in the server-reference manifest");
  return id;
}

for (const [index, script] of (["dev", "start"] as const).entries()) {
  test(`npm run ${script} exits within the grace period with a live stream and a streaming answer open`, async () => {
    // Compiling pages on demand in development takes minutes on a busy two-core machine.
    test.setTimeout(script === "dev" ? 900_000 : 420_000);
    const conversationId = conversations[index]!;
    const child = startServer(script);
    try {
      await waitUntilServing(child);
      const cookie = await signInOverHttp(baseUrl, account.email, account.password);
      // The conversation's page, as the browser opens it (in development this compiles it and its actions).
      const page = await fetch(`${baseUrl}/chat/${conversationId}`, { headers: { cookie } });
      expect(page.status).toBe(200);

      const live = openStream("/api/live", { method: "GET", headers: { cookie, accept: "text/event-stream" } });
      await expect.poll(() => live.text(), { timeout: 240_000 }).toContain("event: ready");

      const question = `How does this end? (${script})`;
      const chat = openStream(`/chat/${conversationId}`, {
        method: "POST",
        headers: { "content-type": "text/plain;charset=UTF-8", accept: "text/x-component", "next-action": askActionId(script), origin: baseUrl, cookie },
        body: JSON.stringify([conversationId, { kind: "ask", question }]),
      });
      await expect.poll(() => chat.text().match(/word\d+/g)?.length ?? 0, { timeout: 240_000 }).toBeGreaterThan(3);

      const signalled = Date.now();
      child.kill("SIGTERM");
      const exited = await new Promise<number>((resolve) => child.once("exit", () => resolve(Date.now())));
      const liveEnded = await live.ended;
      await chat.ended;
      const took = exited - signalled;
      console.log(`npm run ${script}: exited ${took} ms after SIGTERM (grace ${GRACE_MS} ms); /api/live ended after ${liveEnded - signalled} ms`);
      expect(took).toBeLessThanOrEqual(GRACE_MS + MARGIN_MS);
      // The event stream did not hold the shutdown: it ended well before the grace period.
      expect(liveEnded - signalled).toBeLessThan(GRACE_MS - 2_000);

      // The answer in flight was saved as stopped with what was delivered, and billed for that.
      const { messages, usage } = await readAnswer(conversationId);
      const answer = messages.find((m) => m.role === "assistant")!;
      expect(answer.status).toBe("stopped");
      expect(answer.content.length).toBeGreaterThan(0);
      expect(answerText.startsWith(answer.content.trimEnd())).toBe(true);
      expect(answer.content.length).toBeLessThan(answerText.length);
      const { countTokens } = await import("../lib/ai/tokens");
      const billed = usage.find((u) => u.request_id === answer.id);
      expect(billed, "the answer's usage event").toBeDefined();
      expect(Number(billed!.output_tokens)).toBe(countTokens(answer.content));
    } finally {
      killGroup(child);
    }
  });
}

/**
 * A test that times out never reaches its `finally`: the server it started is killed here too, or
 * a development server (over a gigabyte, compiling) would run on beside the rest of the suite.
 */
test.afterEach(() => {
  for (const child of started.splice(0)) killGroup(child);
});

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // the group has exited
  }
}

/** The conversation's messages and the answers' usage events, read as the owner of the tables. */
async function readAnswer(conversationId: string) {
  const { withSystem } = await import("../db/scope");
  const { rawRows } = await import("../db/raw-rows");
  const { closeDatabase } = await import("../db/client");
  const { sql } = await import("drizzle-orm");
  try {
    return await withSystem("e2e: read the answer cut off by shutdown", async (tx) => {
      const messages = await rawRows<{ id: string; role: string; status: string; content: string }>(
        tx,
        sql`select id, role, status, content from chat_messages where conversation_id = ${conversationId}::uuid order by created_at`,
      );
      const usage = await rawRows<{ request_id: string; output_tokens: string | number }>(
        tx,
        sql`select request_id, output_tokens from usage_events
            where request_id in (select id::text from chat_messages where conversation_id = ${conversationId}::uuid)`,
      );
      return { messages, usage };
    });
  } finally {
    await closeDatabase();
  }
}
