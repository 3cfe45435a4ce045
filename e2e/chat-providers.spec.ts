// Chat end to end with real providers configured: the production build served on its own port
// (two workers), Keel's OpenAI provider and an OpenAI-compatible fallback pointed at scripted fakes
// on loopback. Tokens reach the page as they stream, a citation opens the uploaded document at its
// passage, feedback is kept, stop keeps the partial answer, a reload mid-answer shows the text so
// far and then the rest, and with the primary provider failing the fallback answers and says so.
import { expect, test, type Page } from "@playwright/test";
import OpenAI from "openai";
import { dropFiles, waitForStatus } from "./pages/documents";
import { person, signUp } from "./pages/keel";
import { startProviderServer, type ProviderServer } from "./provider-server";
import { ownServerPort } from "./pages/ports";

test.describe.configure({ mode: "serial" });

const port = ownServerPort("chatProviders");
test.use({ baseURL: `http://127.0.0.1:${port}` });

const owner = person("Pia");
let server: ProviderServer;
let page: Page;

/** `label0 label1 …`: words the fake streams one SSE chunk at a time. */
const words = (label: string, count: number) => Array.from({ length: count }, (_, i) => `${label}${i}`).join(" ");

/** A valid structured analysis, for the document's analysis step (which goes to the primary). */
const analysis = JSON.stringify({ summary: "How the Aberdeen fleet is maintained.", keyPoints: ["Inspections twice a year."], entities: [] });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  server = await startProviderServer(port);
  page = await (await browser.newContext()).newPage();
  await signUp(page, owner, `Providers ${Date.now().toString(36)}`);
});

test.afterAll(async () => {
  await server?.stop();
});

/** The last answer on the page. */
const lastAnswer = () => page.getByTestId("assistant-message").last();

/** A new conversation: nothing is created until its first question. */
async function newConversation() {
  await page.goto("/chat");
  await page.getByRole("link", { name: "New conversation" }).click();
  await expect(page).toHaveURL(/\/chat$/);
}

async function ask(question: string) {
  await page.getByLabel("Your question").fill(question);
  await page.getByLabel("Your question").press("Enter");
}

test("streams the answer token by token, cites the uploaded document at its passage, and keeps feedback", async () => {
  server.primary.setDefault({ kind: "text", text: analysis });
  await page.goto("/documents");
  await dropFiles(page, [
    {
      name: "fleet.md",
      mimeType: "text/markdown",
      bytes: new TextEncoder().encode(
        "# Fleet\n\nEvery turbine in the Aberdeen fleet is inspected by rope access teams twice a year, in spring and in autumn.",
      ),
    },
  ]);
  await waitForStatus(page, "fleet.md", "ready");

  // The answer streams slowly (120 ms a word); the conversation's title comes after it.
  const answer = `Rope access teams inspect the Aberdeen turbines twice a year [1]. ${words("detail", 24)} end-of-answer`;
  server.primary.script({ kind: "text", text: answer, chunkDelayMs: 120, usage: { input: 120, output: 40 } });
  server.primary.setDefault({ kind: "text", text: "Aberdeen inspections" });
  await newConversation();
  await ask("How often are the Aberdeen turbines inspected?");

  // Partial text while the answer is still being written: tokens arrive incrementally.
  await expect(lastAnswer()).toContainText("Rope access teams");
  await expect(lastAnswer()).toHaveAttribute("data-status", "streaming");
  await expect(lastAnswer()).not.toContainText("end-of-answer");
  await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  await expect(lastAnswer()).toContainText("end-of-answer");
  const details = lastAnswer().getByTestId("answer-details");
  await expect(details).toContainText("openai");
  await expect(details).not.toContainText("fallback");
  await expect(details).not.toContainText("offline");

  // Feedback: a thumbs up and a correction, both still there after a reload.
  await lastAnswer().getByRole("button", { name: "Good answer" }).click();
  await expect(lastAnswer().getByRole("button", { name: "Good answer" })).toHaveAttribute("aria-pressed", "true");
  await lastAnswer().getByRole("button", { name: "Correct this answer" }).click();
  await lastAnswer().getByLabel("Corrected answer").fill("Twice a year: spring and autumn.");
  await lastAnswer().getByRole("button", { name: "Save correction" }).click();
  await expect(lastAnswer().getByRole("status")).toContainText("correction is saved");
  await page.reload();
  await expect(lastAnswer().getByRole("button", { name: "Good answer" })).toHaveAttribute("aria-pressed", "true");
  await expect(lastAnswer().getByTestId("correction")).toContainText("Twice a year: spring and autumn.");

  // The citation opens the document at the cited passage.
  const source = lastAnswer().getByTestId("citations").getByRole("link").first();
  await expect(source).toContainText("fleet.md");
  await source.click();
  await expect(page).toHaveURL(/\/documents\/[0-9a-f-]{36}\?chunk=(\d+)#chunk-\1$/);
  const chunk = /#(chunk-\d+)$/.exec(page.url())![1]!;
  await expect(page.locator(`#${chunk}`)).toContainText("inspected by rope access teams twice a year");
  await expect(page.locator(`#${chunk}`)).toBeInViewport();
});

test("stop ends the answer mid-stream and keeps what was written", async () => {
  server.primary.script({ kind: "text", text: `Stopping soon ${words("s", 80)} never-shown`, chunkDelayMs: 120 });
  await newConversation();
  await ask("Talk for a long while, please.");
  await expect(lastAnswer()).toContainText("s3");
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(lastAnswer()).toHaveAttribute("data-status", "stopped", { timeout: 15_000 });
  await expect(lastAnswer()).toContainText("Stopped.");
  const kept = (await lastAnswer().textContent()) ?? "";
  expect(kept).toContain("Stopping soon s0");
  expect(kept).not.toContain("never-shown");
  // Kept on the server too, not only on this page.
  await page.reload();
  await expect(lastAnswer()).toHaveAttribute("data-status", "stopped");
  await expect(lastAnswer()).toContainText("Stopping soon s0");
  await expect(lastAnswer()).not.toContainText("never-shown");
});

test("a reload mid-answer shows the text so far, then follows the rest", async () => {
  server.primary.script({ kind: "text", text: `Reloaded ${words("r", 60)} finished-at-last`, chunkDelayMs: 150 });
  await newConversation();
  await ask("Tell me something long enough to reload during.");
  await expect(lastAnswer()).toContainText("r4");
  // The first question created the conversation: the address names it, so a reload finds it.
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await page.reload();
  // Straight after the reload: the text so far, still being written.
  await expect(lastAnswer()).toContainText("Reloaded r0 r1 r2 r3 r4");
  await expect(lastAnswer()).toHaveAttribute("data-status", "streaming");
  await expect(lastAnswer()).not.toContainText("finished-at-last");
  // Then the rest, live.
  await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  await expect(lastAnswer()).toContainText("r59 finished-at-last");
});

test("with the primary provider failing, the fallback answers and the footer says so", async () => {
  server.primary.setDefault({ kind: "status", status: 503, message: "primary is down" });
  server.fallback.script({ kind: "text", text: "The fallback provider answers this one.", chunkDelayMs: 20 });
  server.fallback.setDefault({ kind: "text", text: "Fallback title" });
  await newConversation();
  await ask("Who answers when the primary is down?");
  await expect(lastAnswer()).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  await expect(lastAnswer()).toContainText("The fallback provider answers this one.");
  const details = lastAnswer().getByTestId("answer-details");
  await expect(details).toContainText("answered by a fallback provider");
  await expect(details).toContainText("compatible");
  expect(server.primary.requests.filter((r) => r.path.includes("chat/completions")).length).toBeGreaterThan(0);
});

test("answers /api/v1 with 402, the limit and its reset date, once the workspace's paid allowance is spent", async () => {
  server.primary.setDefault({ kind: "text", text: "A paid answer.", usage: { input: 40, output: 10 } });
  await page.goto("/settings");
  await page.getByLabel("Key name").fill("quota client");
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyField = page.getByLabel(/New API key/);
  await expect(keyField).toHaveValue(/^keel_/);
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/api/v1`, apiKey: await keyField.inputValue(), maxRetries: 0 });
  await page.getByLabel("Monthly token limit").fill("10");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByText("AI limits saved.")).toBeVisible();
  const error = await client.chat.completions
    .create({ model: "keel-chat", messages: [{ role: "user", content: "one more question please" }], max_tokens: 50 })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.APIError);
  const apiError = error as InstanceType<typeof OpenAI.APIError>;
  expect(apiError.status).toBe(402);
  expect(apiError.code).toBe("quota_exceeded");
  expect(apiError.message).toMatch(/monthly token limit.*resets on \d{4}-\d{2}-01/);
});
