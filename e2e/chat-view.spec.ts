// The chat view as a demanding user sees it, in Chromium against the production build with real
// providers configured (Keel's OpenAI provider pointed at a scripted fake on loopback): messages
// never leave the screen between sending and the answer settling; answers visibly stream; Stop
// works while "Thinking…" (even before the question has reached the server) and mid-stream, marks
// the answer stopped and bills only what was delivered; GitHub-flavoured Markdown renders safely
// with highlighted, copyable code; icons are SVG; conversations exist only once asked in, and
// long titles are cut at a word.
import { mkdirSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import postgres from "postgres";
import { countTokens } from "../lib/ai/tokens";
import type { FakeStep } from "../test/fakes/fake-llm-server";
import { person, signUp } from "./pages/keel";
import { startProviderServer, type ProviderServer } from "./provider-server";
import { ownServerPort } from "./pages/ports";

test.describe.configure({ mode: "serial" });

const port = ownServerPort("chatView");
const baseURL = `http://127.0.0.1:${port}`;
test.use({ baseURL });

const owner = person("Vera");
let server: ProviderServer;
let page: Page;

/** `label0 label1 …`: words the fake streams one SSE chunk at a time. */
const words = (label: string, count: number) => Array.from({ length: count }, (_, i) => `${label}${i}`).join(" ");

/** What the model says next, from a clean slate (a step a stopped answer never asked for is dropped). */
function script(...steps: FakeStep[]) {
  server.primary.reset();
  // Titles are asked for after each first answer; by default the fake names conversations briefly.
  server.primary.setDefault({ kind: "text", text: "Fleet questions" });
  server.primary.script(...steps);
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  server = await startProviderServer(port);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  page = await context.newPage();
  await signUp(page, owner, `View ${Date.now().toString(36)}`);
});

test.afterAll(async () => {
  await server?.stop();
});

const answers = () => page.getByTestId("assistant-message");
const lastAnswer = () => answers().last();

async function newConversation() {
  await page.goto("/chat");
  await page.getByRole("link", { name: "New conversation" }).click();
  await expect(page).toHaveURL(/\/chat$/);
}

/**
 * Waits for the conversation's title from the model: the title call comes after a first answer and
 * would otherwise take the next test's scripted answer. By default the fake's default title; else
 * any title other than the provisional one (the question).
 */
async function awaitTitle(options: { notQuestion?: string } = {}) {
  const title = page.getByTestId("conversation-title");
  if (options.notQuestion) await expect(title).not.toHaveText(options.notQuestion, { timeout: 15_000 });
  else await expect(title).toHaveText("Fleet questions", { timeout: 15_000 });
}

async function ask(question: string) {
  await page.getByLabel("Your question").fill(question);
  await page.getByLabel("Your question").press("Enter");
}

/** The usage event of one answer (request id = answer id), read from the server's database. */
async function usageOf(answerId: string): Promise<{ output_tokens: number; status: string; error_code: string | null }[]> {
  const sql = postgres(server.databaseUrl!, { max: 1, onnotice: () => {} });
  try {
    // The meter writes off the request path: wait for it.
    let rows: { output_tokens: number; status: string; error_code: string | null }[] = [];
    await expect
      .poll(async () => {
        rows = await sql`select output_tokens, status, error_code from usage_events where request_id = ${answerId} and feature = 'chat'`;
        return rows.length;
      })
      .toBeGreaterThan(0);
    return rows;
  } finally {
    await sql.end();
  }
}

test("keeps every message on screen from sending to settling, across several questions in a new conversation", async () => {
  await newConversation();
  // A marker that a full page load would wipe, and a watch on the list from the first question on.
  await page.evaluate(() => {
    const state = { loaded: true, maxSeen: 0, emptied: 0, shrank: 0, last: 0 };
    (window as unknown as { keelWatch: typeof state }).keelWatch = state;
    const check = () => {
      const count = document.querySelectorAll('[data-testid="chat-messages"] > ol > li').length;
      const emptyPrompt = document.querySelector('[data-testid="chat-empty"]') !== null;
      if (state.maxSeen > 0 && (count === 0 || emptyPrompt)) state.emptied++;
      if (count < state.last) state.shrank++;
      state.last = count;
      state.maxSeen = Math.max(state.maxSeen, count);
    };
    new MutationObserver(check).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  });
  const questions = ["Which sites need rope access?", "And which need cranes?", "How long does each inspection take?"];
  // The first question is held on its way until the next one is half typed: the draft (and the
  // focus) must survive the conversation being created, getting its address and the page's refresh.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    (url) => url.pathname.startsWith("/chat"),
    async (route) => {
      const request = route.request();
      if (request.method() === "POST" && request.headers()["next-action"] && request.postData()?.includes(questions[0]!)) await held;
      await route.continue();
    },
  );
  for (const [i, question] of questions.entries()) {
    script({ kind: "text", text: `Answer ${i}: ${words(`a${i}x`, 12)} done-${i}`, chunkDelayMs: 40 });
    await ask(question);
    await expect(answers()).toHaveCount(i + 1);
    if (i === 0) {
      await page.getByLabel("Your question").pressSequentially("half-typed follow-");
      release();
      await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
      await expect(page.getByTestId("conversation-list").getByRole("link")).toHaveCount(1);
      await page.keyboard.type("up");
    }
    await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
    await expect(lastAnswer()).toContainText(`done-${i}`);
    if (i === 0) {
      await awaitTitle();
      expect(await page.evaluate(() => "keelWatch" in window), "the page was loaded again").toBe(true);
      await expect(page.getByLabel("Your question")).toHaveValue("half-typed follow-up");
      await expect(page.getByLabel("Your question")).toBeFocused();
      await page.unroute((url) => url.pathname.startsWith("/chat"));
    }
  }
  // The first question created the conversation: the address and the list name it.
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("conversation-list").getByRole("link")).toHaveCount(1);
  // Give the refreshes that follow an answer (list, title) time to land, then read the watch.
  await page.waitForTimeout(2_500);
  const watch = await page.evaluate(
    () => (window as unknown as { keelWatch?: { loaded: boolean; maxSeen: number; emptied: number; shrank: number } }).keelWatch,
  );
  expect(watch?.loaded, "the page was loaded again (the watch is gone)").toBe(true);
  expect(watch?.maxSeen).toBe(questions.length * 2);
  expect(watch?.emptied, "the message list emptied or showed the empty prompt").toBe(0);
  expect(watch?.shrank, "messages disappeared from the list").toBe(0);

  // (The last question carries its Edit button.)
  await expect(page.getByTestId("user-message")).toHaveText(questions.map((q) => new RegExp(`^${q.replace(/[?]/g, "\\?")}`)));
});

test("streams the answer visibly: one answer is seen at several growing lengths", async () => {
  script({ kind: "text", text: `Streaming ${words("s", 30)} finished`, chunkDelayMs: 120 });
  await newConversation();
  await page.evaluate(() => {
    const lengths: number[] = [];
    (window as unknown as { keelLengths: number[] }).keelLengths = lengths;
    new MutationObserver(() => {
      const answer = [...document.querySelectorAll('[data-testid="assistant-message"]')].at(-1);
      if (answer?.getAttribute("data-status") !== "streaming") return;
      const length = answer.querySelector('[data-testid="answer-markdown"]')?.textContent?.length ?? 0;
      if (length > 0 && length !== lengths.at(-1)) lengths.push(length);
    }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  });
  await ask("Stream something slowly, please.");
  await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  await expect(lastAnswer()).toContainText("s29 finished");
  const lengths = await page.evaluate(() => (window as unknown as { keelLengths: number[] }).keelLengths);
  expect(lengths.length, `lengths seen while streaming: ${lengths.join(", ")}`).toBeGreaterThanOrEqual(3);
  expect([...lengths].sort((a, b) => a - b)).toEqual(lengths);
  await awaitTitle();
});

test("stop works while Thinking…, before the first token: the answer is marked stopped and nothing more arrives", async () => {
  // The provider takes ten seconds before its first token; the stop lands well before that.
  script({ kind: "text", text: "never-shown slow answer", delayMs: 10_000 });
  await newConversation();
  await ask("Think about it for a long time.");
  await expect(lastAnswer().getByTestId("thinking")).toBeVisible();
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(lastAnswer()).toHaveAttribute("data-status", "stopped", { timeout: 8_000 });
  await expect(lastAnswer().getByTestId("answer-stopped")).toHaveText("Stopped.");
  await expect(lastAnswer()).not.toContainText("never-shown");
  await expect(page.getByRole("button", { name: "Send" })).toBeVisible();
  const answerId = (await lastAnswer().getAttribute("data-message-id"))!;
  // Past the moment the provider would have sent its answer: none of it arrives after the stop.
  await page.waitForTimeout(10_500);
  await page.reload();
  await expect(lastAnswer()).toHaveAttribute("data-status", "stopped");
  await expect(lastAnswer()).not.toContainText("never-shown");
  if (server.databaseUrl) {
    const usage = await usageOf(answerId);
    expect(usage.every((u) => u.output_tokens === 0)).toBe(true);
  }
  await awaitTitle();
});

test("stop works even before the question has reached the server", async () => {
  // Short enough to pass as a title (at most 120 characters): whichever call takes it, the answer
  // (stopped before the provider is asked, or cut at once) or the title call after it, the
  // conversation ends up named by the model, not by its question.
  script({ kind: "text", text: `Held ${words("h", 12)} never-reached`, chunkDelayMs: 100 });
  await newConversation();
  // Hold the ask action's request on its way, so Stop is pressed while nothing exists on the server.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    (url) => url.pathname.startsWith("/chat"),
    async (route) => {
      const request = route.request();
      if (request.method() === "POST" && request.headers()["next-action"] && request.postData()?.includes("Hold this question")) await held;
      await route.continue();
    },
  );
  await ask("Hold this question, please.");
  await expect(lastAnswer().getByTestId("thinking")).toBeVisible();
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByRole("button", { name: "Stopping…" })).toBeDisabled();
  release();
  await expect(lastAnswer()).toHaveAttribute("data-status", "stopped", { timeout: 10_000 });
  await page.unroute((url) => url.pathname.startsWith("/chat"));
  await expect(lastAnswer()).not.toContainText("never-reached");
  // Stored so: after the conversation has its address and name, a reload shows the same. (Stopped
  // before the provider was asked, the scripted answer is left for the title call to take.)
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await awaitTitle({ notQuestion: "Hold this question, please." });
  await page.reload();
  await expect(lastAnswer()).toHaveAttribute("data-status", "stopped");
  await expect(lastAnswer()).not.toContainText("never-reached");
});

test("a stop mid-stream is billed only for the words delivered", async () => {
  test.skip(!server.databaseUrl, "reads the usage event from the server's PostgreSQL database (TEST_DATABASE_URL)");
  script({ kind: "text", text: `Billed ${words("b", 80)} never-billed`, chunkDelayMs: 100, usage: { input: 50, output: 82 } });
  await newConversation();
  await ask("Talk until I stop you.");
  await expect(lastAnswer()).toContainText("b5");
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(lastAnswer()).toHaveAttribute("data-status", "stopped", { timeout: 10_000 });
  const answerId = (await lastAnswer().getAttribute("data-message-id"))!;
  await awaitTitle();
  await page.reload();
  const delivered = (await lastAnswer().getByTestId("answer-markdown").textContent())!;
  expect(delivered).toMatch(/^Billed b0 b1 b2 b3 b4 b5/);
  expect(delivered).not.toContain("never-billed");
  const [usage] = await usageOf(answerId);
  expect(usage).toMatchObject({ status: "partial", error_code: "client_cancelled" });
  // What was delivered, not the 82 tokens the whole answer would have cost.
  expect(usage!.output_tokens).toBe(countTokens(delivered));
  expect(usage!.output_tokens).toBeLessThan(82);
});

const richAnswer = [
  "Here is the **maintenance plan** for the fleet:",
  "",
  "| Site | Turbines | Next inspection |",
  "| --- | ---: | --- |",
  "| Aberdeen | 42 | ~~March~~ April |",
  "| Fenwick | 17 | June |",
  "",
  "- [x] Rope access teams booked",
  "- [ ] Gearbox spares ordered",
  "",
  "1. Inspect the blades",
  "2. Replace worn bearings",
  "",
  "```ts",
  "export function nextInspection(last: Date): Date {",
  "  const next = new Date(last);",
  "  next.setMonth(next.getMonth() + 6);",
  "  return next;",
  "}",
  "```",
  "",
  "See [the runbook](https://example.com/runbook) for details.",
].join("\n");

/** What a model (or a document it quotes) may try: script links, raw HTML, images that call out. */
const hostileAnswer = [
  "Open [this](javascript:window.keelPwned=1) or [that](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==).",
  "",
  '<img src="/favicon.ico" onerror="window.keelPwned=2"><script>window.keelPwned=3</script><b>raw bold</b>',
  "",
  "![tracker](https://tracker.example/pixel.png)",
].join("\n");

test("renders a rich answer: table, task list, strikethrough, lists, highlighted code with a copy button, safe links; no raw HTML", async () => {
  script({ kind: "text", text: richAnswer, chunkDelayMs: 15 });
  await newConversation();
  await ask("Give me the maintenance plan as a table, with a code sample.");
  const answer = lastAnswer();
  await expect(answer).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  const markdown = answer.getByTestId("answer-markdown");

  const table = markdown.locator("table");
  await expect(table).toHaveCount(1);
  await expect(table.locator("thead th")).toHaveText(["Site", "Turbines", "Next inspection"]);
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await expect(table.locator("tbody tr").first().locator("td")).toHaveText(["Aberdeen", "42", "March April"]);
  await expect(table.locator("del")).toHaveText("March");
  const tasks = markdown.locator('li input[type="checkbox"]');
  await expect(tasks).toHaveCount(2);
  await expect(tasks.first()).toBeChecked();
  await expect(tasks.last()).not.toBeChecked();
  await expect(markdown.locator("ol > li")).toHaveText(["Inspect the blades", "Replace worn bearings"]);
  await expect(markdown.locator("strong")).toHaveText("maintenance plan");

  const code = markdown.locator("pre code");
  await expect(code).toHaveClass(/hljs/);
  await expect(code).toHaveClass(/language-ts/);
  await expect(code.locator(".hljs-keyword").first()).toBeVisible();
  expect(await code.locator("[class^='hljs-']").count()).toBeGreaterThan(3);
  await markdown.getByRole("button", { name: "Copy code" }).click();
  await expect(markdown.getByRole("button", { name: "Copied" })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await code.textContent());
  expect(copied).toContain("next.setMonth(next.getMonth() + 6);");

  const runbook = markdown.getByRole("link", { name: "the runbook" });
  await expect(runbook).toHaveAttribute("href", "https://example.com/runbook");
  await expect(runbook).toHaveAttribute("target", "_blank");
  await expect(runbook).toHaveAttribute("rel", /noopener/);

  // The screenshot for the closing note, once the model has named the conversation.
  await awaitTitle();
  mkdirSync("docs/screenshots", { recursive: true });
  await answer.scrollIntoViewIfNeeded();
  await page.screenshot({ path: "docs/screenshots/chat-table-code.png" });

  // A hostile answer: script and data links are shown as their words, raw HTML never becomes
  // elements, and an image is its alt text (no request to the address).
  script({ kind: "text", text: hostileAnswer, chunkDelayMs: 15 });
  const images: string[] = [];
  page.on("request", (request) => void (request.url().includes("tracker.example") && images.push(request.url())));
  await ask("Now try to break out.");
  const hostile = lastAnswer().getByTestId("answer-markdown");
  await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  await expect(hostile.getByText("this", { exact: true })).toBeVisible();
  await expect(hostile.getByText("that", { exact: true })).toBeVisible();
  expect(await hostile.locator("a").count()).toBe(0);
  expect(await hostile.locator("img, script, b").count()).toBe(0);
  await expect(hostile).toContainText("[image: tracker]");
  expect(await page.evaluate(() => (window as unknown as { keelPwned?: number }).keelPwned)).toBeUndefined();
  expect(images).toEqual([]);
});

test("icons are SVG, no emoji anywhere on the pages, and the app has a favicon", async () => {
  await page.goto("/chat");
  await page.getByTestId("conversation-list").getByRole("link").first().click();
  await expect(lastAnswer()).toHaveAttribute("data-status", /complete|stopped/);
  await expect(page.getByTestId("notification-bell").locator("svg")).toBeVisible();
  await expect(lastAnswer().getByRole("button", { name: "Good answer" }).locator("svg")).toBeVisible();
  await expect(lastAnswer().getByRole("button", { name: "Bad answer" }).locator("svg")).toBeVisible();
  for (const path of ["/chat", "/documents", "/usage", "/members", "/settings"]) {
    await page.goto(path);
    const text = await page.locator("body").innerText();
    expect(text, `emoji on ${path}`).not.toMatch(/\p{Extended_Pictographic}/u);
  }
  const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
  expect(icon).toBeTruthy();
  const response = await page.request.get(icon!);
  expect(response.ok()).toBe(true);
  expect(response.headers()["content-type"]).toContain("image/svg+xml");
});

test("a conversation exists only once asked in, and a long title is cut at a word with an ellipsis", async () => {
  await page.goto("/chat");
  const listed = page.getByTestId("conversation-list").getByRole("link");
  const before = await listed.count();
  // Opening new conversations and leaving them keeps nothing.
  await page.getByRole("link", { name: "New conversation" }).click();
  await page.goto("/documents");
  await page.goto("/chat");
  await page.getByRole("link", { name: "New conversation" }).click();
  await page.reload();
  await expect(listed).toHaveCount(before);

  // The model names this one at length; the list cuts the name at a word.
  const longTitle = "Quarterly maintenance schedule for Aberdeen and Fenwick turbines";
  script({ kind: "text", text: "Noted.", chunkDelayMs: 10 }, { kind: "text", text: longTitle });
  await ask("What is the maintenance schedule?");
  await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  await expect(page.getByTestId("conversation-title")).toHaveText(longTitle, { timeout: 15_000 });
  await expect(listed).toHaveCount(before + 1);
  const entry = page.getByTestId("conversation-list").getByRole("link", { name: /^Quarterly maintenance/ });
  await expect(entry).toHaveAttribute("title", longTitle);
  const shown = (await entry.innerText()).trim();
  expect(shown.endsWith("…")).toBe(true);
  const kept = shown.slice(0, -1);
  expect(longTitle.startsWith(kept)).toBe(true);
  expect(longTitle[kept.length]).toBe(" ");
});
