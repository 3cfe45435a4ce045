// Hostile API input against the production build as `npm start` serves it (two workers, PostgreSQL
// when TEST_DATABASE_URL is set): the oversized JSON schema (353-byte calls asking for a
// billion items through a required tool call, and its variants) and 6 MB bodies (the official
// client's prompt; an upload past the size limit). For each attack this asserts three things:
//  (a) each request gets a clear error: a 400 or 413 in its API's shape, never a connection error;
//  (b) no serving process died or was replaced (same pids and start times before and after);
//  (c) another workspace's requests (its API key's chat completions and its members list), made all
//      through the attack, are each answered in under 1 s. As in hostile-uploads.spec.ts, on a machine
//      so loaded that they take over half a second with no attack, the bound is twice that baseline.
// It prints a table of the figures.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import OpenAI from "openai";
import { person, signUp } from "./pages/keel";
import { servingProcesses } from "./pages/server-processes";

test.describe.configure({ mode: "serial" });

const PORT = Number(process.env.E2E_PORT ?? 3210);
const OTHER_TENANT_BOUND_MS = 1_000;
/** How long each attack keeps going, so the other workspace's requests are timed all through it. */
const ATTACK_MS = 4_000;
/**
 * Between two rounds of an attack: the attacker's key stays under its plan's 60 requests a minute
 * (past them each call would be a 429, a clear refusal too, but not the one under test).
 */
const ROUND_PAUSE_MS = 250;

const attacker = person("Mallet");
const victim = person("Vera");
let attackerPage: Page;
let attackerKey: string;
let victimApi: APIRequestContext;
let victimClient: OpenAI;
let baseURL: string;
const figures: string[] = [];

async function createKey(page: Page, name: string): Promise<string> {
  await page.goto("/settings", { waitUntil: "networkidle" });
  await page.getByLabel("Key name").fill(name);
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyField = page.getByLabel(/New API key/);
  await expect(keyField).toHaveValue(/^keel_/);
  return keyField.inputValue();
}

test.beforeAll(async ({ browser, baseURL: base }) => {
  baseURL = base!;
  attackerPage = await (await browser.newContext()).newPage();
  const victimPage = await (await browser.newContext()).newPage();
  await signUp(attackerPage, attacker, `Hostile API ${Date.now().toString(36)}`);
  await signUp(victimPage, victim, `API bystander ${Date.now().toString(36)}`);
  attackerKey = await createKey(attackerPage, "attacks");
  victimClient = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey: await createKey(victimPage, "bystander"), maxRetries: 0, timeout: 30_000 });
  victimApi = victimPage.context().request;
  // The first request for a route in each worker loads its code: not the attacks' doing.
  // Paced so that three of them are chat completions (see bystanderRequest).
  for (let i = 0; i < 6; i++) {
    await bystanderRequest(i);
    await new Promise((resolve) => setTimeout(resolve, 600));
  }
});

test.afterAll(() => {
  console.log(["", "attack | requests, outcome | other tenant: slowest request during (n) / before", ...figures].join("\n"));
});

/** When the bystander's key last asked for a chat completion. */
let lastCompletionAt = 0;

/**
 * The other workspace's request, timed: a chat completion on its API key (at most one a second and
 * a bit, under the free plan's 60 a minute per key, however fast this machine answers), or its
 * members list.
 */
async function bystanderRequest(i: number): Promise<number> {
  const started = performance.now();
  if (i % 2 === 0 && started - lastCompletionAt > 1_100) {
    lastCompletionAt = started;
    const answer = await victimClient.chat.completions.create({
      model: "keel-chat",
      messages: [
        { role: "system", content: "Keel meters every model call." },
        { role: "user", content: `What does Keel meter? (${i})` },
      ],
    });
    expect(answer.choices[0]?.message.content).toBeTruthy();
  } else {
    expect((await victimApi.get("/api/members")).status()).toBe(200);
  }
  return performance.now() - started;
}

/** Runs `attack` over and over for ATTACK_MS while the other workspace keeps asking; checks (b) and (c). */
async function underAttack(label: string, attack: () => Promise<string>, attackMs = ATTACK_MS): Promise<void> {
  const processes = servingProcesses(PORT);
  expect(processes.length, "the primary and its two workers").toBeGreaterThanOrEqual(3);
  const baseline: number[] = [];
  for (let i = 0; i < 8; i++) baseline.push(await bystanderRequest(i));
  const bound = Math.max(OTHER_TENANT_BOUND_MS, 2 * Math.max(...baseline));

  const latencies: number[] = [];
  let attacking = true;
  const bystander = (async () => {
    // At least three samples, even when the attack is refused faster than that (a quiet machine).
    for (let i = 0; attacking || latencies.length < 3; i++) {
      latencies.push(await bystanderRequest(i));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const outcomes = new Map<string, number>();
  const started = performance.now();
  try {
    while (performance.now() - started < attackMs) {
      const outcome = await attack();
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
    }
  } finally {
    attacking = false;
    await bystander;
  }

  expect(servingProcesses(PORT)).toEqual(processes);
  const slowest = Math.max(...latencies);
  const seen = [...outcomes].map(([outcome, n]) => `${n} × ${outcome}`).join("; ");
  figures.push(`${label} | ${seen} | ${Math.round(slowest)} ms (${latencies.length}) / ${Math.round(Math.max(...baseline))} ms`);
  expect(latencies.length).toBeGreaterThanOrEqual(3);
  expect(slowest, `the slowest of ${latencies.length} requests; before the attack the slowest took ${Math.round(Math.max(...baseline))} ms`).toBeLessThan(
    bound,
  );
}

/** A body sent 64 KB every 30 ms (~2 MB/s), as over a network, with its length declared. */
function pacedBody(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at >= bytes.length) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, 30));
      controller.enqueue(bytes.subarray(at, at + 65_536));
      at += 65_536;
    },
  });
}

/** fetch sending its body at a network's pace (the official client's `fetch` option). */
const pacedFetch: typeof fetch = (input, init) => {
  const bytes = Buffer.from(String(init?.body ?? ""));
  const headers = new Headers(init?.headers);
  headers.set("content-length", String(bytes.length));
  return fetch(input, { ...init, headers, body: pacedBody(bytes), duplex: "half" } as RequestInit);
};

/** The attacker's session, for requests sent with fetch. */
async function sessionCookie(): Promise<string> {
  return (await attackerPage.context().cookies(baseURL)).map((c) => `${c.name}=${c.value}`).join("; ");
}

/** The status and OpenAI error of a refused call; fails the test on anything else (a connection error included). */
async function refusedWith(call: Promise<unknown>, status: number, type: string): Promise<string> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, String(error)).toBeInstanceOf(OpenAI.APIError);
  const apiError = error as InstanceType<typeof OpenAI.APIError>;
  expect(apiError.status, String(error)).toBe(status);
  expect((apiError.error as { type?: string }).type).toBe(type);
  return `${status} ${(apiError.error as { code?: string }).code}`;
}

const hugeMinItems = { type: "object", properties: { rows: { type: "array", items: { type: "string" }, minItems: 1_000_000_000 } }, required: ["rows"] };

test("an oversized JSON schema (the issue's 353-byte calls, two at a time; response format; Responses API)", async () => {
  const client = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey: attackerKey, maxRetries: 0, timeout: 30_000 });
  const toolCall = {
    model: "keel-chat",
    messages: [{ role: "user" as const, content: "Fill the rows" }],
    tools: [{ type: "function" as const, function: { name: "fill", parameters: hugeMinItems } }],
    tool_choice: "required" as const,
  };
  expect(JSON.stringify(toolCall).length).toBeLessThan(400);
  let round = 0;
  await underAttack("oversized JSON schema (minItems 1e9, tool_choice required, 2 at a time)", async () => {
    round++;
    if (round % 3 === 1) {
      const [a, b] = await Promise.all([
        refusedWith(client.chat.completions.create(toolCall), 400, "invalid_request_error"),
        refusedWith(client.chat.completions.create(toolCall), 400, "invalid_request_error"),
      ]);
      expect(a).toBe(b);
      return `chat tools: ${a}`;
    }
    if (round % 3 === 2)
      return `chat response_format: ${await refusedWith(
        client.chat.completions.create({
          ...toolCall,
          tools: undefined,
          tool_choice: undefined,
          response_format: { type: "json_schema", json_schema: { name: "rows", schema: hugeMinItems } },
        }),
        400,
        "invalid_request_error",
      )}`;
    return `responses tools: ${await refusedWith(
      client.responses.create({
        model: "keel-chat",
        input: "Fill the rows",
        tools: [{ type: "function", name: "fill", parameters: hugeMinItems, strict: false }],
        tool_choice: "required",
      }),
      400,
      "invalid_request_error",
    )}`;
  });
});

test("6 MB bodies: the official client's prompt (without and with retries) and an upload past the size limit", async () => {
  const sixMegabytes = "All work and no play makes Jack a dull boy. ".repeat(140_000);
  // Sent at a network's pace, as a remote attacker's would arrive. (At loopback speed, the slowest
  // request of the other workspace measured here was about 1.0 s: this test process sends the
  // attack and times the bystander on the same 2 loaded cores, so that figure mixes in the sender.)
  const once = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey: attackerKey, maxRetries: 0, timeout: 30_000, fetch: pacedFetch });
  const retrying = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey: attackerKey, timeout: 30_000, fetch: pacedFetch });
  const upload = Buffer.alloc(26 * 1024 * 1024, 97);
  const cookie = await sessionCookie();
  let round = 0;
  await underAttack(
    "6 MB prompt to /api/v1/chat/completions; 26 MB upload to /api/documents (both at ~2 MB/s)",
    async () => {
      round++;
      if (round % 3 === 0) {
        // Sent with fetch: Playwright's request client would copy 26 MB through its driver, slowing
        // this very process, which also times the other workspace's requests.
        const refused = await fetch(`${baseURL}/api/documents`, {
          method: "POST",
          headers: { cookie, "x-file-name": "big.txt", "content-type": "application/octet-stream", "content-length": String(upload.length) },
          body: pacedBody(upload),
          duplex: "half",
        } as RequestInit);
        expect(refused.status).toBe(413);
        const body = (await refused.json()) as { error: { code: string; message: string } };
        expect(body.error.message).toMatch(/largest file Keel takes/);
        return `upload: 413 ${body.error.code}`;
      }
      const client = round % 3 === 1 ? once : retrying;
      const outcome = await refusedWith(
        client.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: sixMegabytes }] }),
        413,
        "invalid_request_error",
      );
      return `prompt (${client === once ? "maxRetries 0" : "default retries"}): ${outcome}`;
    },
    8_000,
  );
});

test("an upload past the size limit, sent at a network's pace (~2 MB/s), gets its 413 every time, never a connection error", async () => {
  const cookie = await sessionCookie();
  const bytes = Buffer.alloc(26 * 1024 * 1024, 97);
  const outcomes: string[] = [];
  for (let i = 0; i < 6; i++) {
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (at >= bytes.length) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, 30));
        controller.enqueue(bytes.subarray(at, at + 65_536));
        at += 65_536;
      },
    });
    const outcome = await fetch(`${baseURL}/api/documents`, {
      method: "POST",
      headers: { cookie, "x-file-name": "big.txt", "content-type": "application/octet-stream", "content-length": String(bytes.length) },
      body,
      duplex: "half",
    } as RequestInit).then(
      async (response) => `${response.status} ${((await response.json()) as { error: { code: string } }).error.code}`,
      (error: unknown) => `connection error: ${String((error as Error).cause ?? error)}`,
    );
    outcomes.push(outcome);
  }
  figures.push(`26 MB upload at ~2 MB/s (fetch) | ${outcomes.join("; ")} | -`);
  expect(outcomes).toEqual(Array(6).fill("413 too_large"));
});
