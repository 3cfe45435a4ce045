// Chat end to end on the production build with nothing configured (the offline model): a new
// conversation, a question answered from an uploaded document with its source linked to the
// passage, the answer's details, feedback, a reload that keeps everything, title search, rename,
// delete, collections to ground in; and someone else (another tenant's person, a colleague in the
// same workspace) gets a 404 for the conversation, and the actions refuse them the owner's answer.
import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { dropFiles, waitForStatus } from "./pages/documents";
import { createInvitation, person, signUp } from "./pages/keel";

test.describe.configure({ mode: "serial" });

const owner = person("Cora");
const outsider = person("Ivo");
const teammate = person("Tess");
let page: Page;
let conversationUrl = "";

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
  await signUp(page, owner, `Chat ${Date.now().toString(36)}`);
});

test("answers a question from an uploaded document, citing the passage it used", async () => {
  await page.goto("/documents");
  await dropFiles(page, [
    {
      name: "maintenance.md",
      mimeType: "text/markdown",
      bytes: new TextEncoder().encode(
        "# Maintenance\n\nEvery turbine in the Aberdeen fleet is inspected by rope access teams twice a year, in spring and in autumn.\n\nGearboxes are replaced after twelve years of service.",
      ),
    },
  ]);
  await waitForStatus(page, "maintenance.md", "ready");

  await page.goto("/chat");
  await page.getByRole("link", { name: "New conversation" }).click();
  const box = page.getByLabel("Your question");
  await box.fill("How often are the Aberdeen turbines inspected?");
  await box.press("Shift+Enter");
  await box.pressSequentially("Answer briefly.");
  await expect(box).toHaveValue("How often are the Aberdeen turbines inspected?\nAnswer briefly.");
  await box.press("Enter");

  const answer = page.getByTestId("assistant-message").last();
  // The first question created the conversation, and the address names it.
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  conversationUrl = page.url();
  await expect(answer).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  await expect(answer).toContainText("twice a year");
  await expect(answer.getByTestId("answer-details")).toContainText("offline model");
  await expect(answer.getByTestId("citations")).toContainText("maintenance.md");
  // The conversation is named after its first question.
  await expect(page.getByTestId("conversation-title")).not.toHaveText("New conversation", { timeout: 15_000 });

  // Feedback is kept.
  await answer.getByRole("button", { name: "Good answer" }).click();
  await expect(answer.getByRole("button", { name: "Good answer" })).toHaveAttribute("aria-pressed", "true");

  // The source opens the document at the cited passage.
  await answer.getByTestId("citations").getByRole("link").first().click();
  await expect(page).toHaveURL(/\/documents\/[0-9a-f-]{36}\?chunk=\d+#chunk-\d+$/);
});

test("keeps the conversation across a reload, and finds, renames and deletes it", async () => {
  await page.goto(conversationUrl);
  await expect(page.getByTestId("user-message").first()).toContainText("How often are the Aberdeen turbines inspected?");
  await expect(page.getByTestId("assistant-message").last()).toContainText("twice a year");
  await expect(page.getByRole("button", { name: "Good answer" })).toHaveAttribute("aria-pressed", "true");

  await page.getByText("Rename or delete").click();
  await page.getByLabel("Title", { exact: true }).fill("Turbine inspections");
  await page.getByRole("button", { name: "Rename", exact: true }).click();
  await expect(page.getByTestId("conversation-title")).toHaveText("Turbine inspections");

  await page.getByLabel("Search conversations by title").fill("inspections");
  await page.getByLabel("Search conversations by title").press("Enter");
  await expect(page.getByTestId("conversation-list")).toContainText("Turbine inspections");
  await page.getByLabel("Search conversations by title").fill("no such title");
  await page.getByLabel("Search conversations by title").press("Enter");
  await expect(page.getByText("No conversation has that in its title.")).toBeVisible();
});

test("answers without documents when grounding is off", async () => {
  await page.goto(conversationUrl);
  await page.getByLabel("No documents").check();
  await expect(page.getByTestId("grounding-picker")).toHaveAttribute("aria-busy", "false");
  await page.reload();
  await expect(page.getByLabel("No documents")).toBeChecked();
  // A fact the document holds but this conversation has not quoted yet (earlier answers are the
  // model's context too, documents or not).
  await page.getByLabel("Your question").fill("After how many years of service are the gearboxes replaced?");
  await page.getByRole("button", { name: "Send" }).click();
  const answer = page.getByTestId("assistant-message").last();
  await expect(answer).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  // Nothing from the documents reached the model, so nothing from them is in the answer.
  await expect(answer).not.toContainText("twelve years");
  await expect(answer.getByTestId("citations")).toHaveCount(0);
});

test("another tenant's person gets a 404 for the conversation, and their actions cannot reach its answer", async ({ browser }) => {
  await page.goto(conversationUrl);
  const ownerAnswerId = await page.getByTestId("assistant-message").first().getAttribute("data-message-id");
  expect(ownerAnswerId).toMatch(/^[0-9a-f-]{36}$/);

  const other = await (await browser.newContext()).newPage();
  await signUp(other, outsider, `Other ${Date.now().toString(36)}`);
  const response = await other.goto(conversationUrl);
  expect(response?.status()).toBe(404);
  // A malformed id is a 404 too, not a server error.
  expect((await other.goto("/chat/not-a-conversation"))?.status()).toBe(404);
  await other.goto("/chat");
  await expect(other.getByText("No conversations yet.")).toBeVisible();

  // The outsider answers a question of their own, then sends the owner's answer id to the real
  // server actions: the rating (the request rewritten on its way) and the correction form.
  await other.getByRole("link", { name: "New conversation" }).click();
  await other.getByLabel("Your question").fill("Anything about turbines?");
  await other.getByLabel("Your question").press("Enter");
  await expect(other).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  const theirs = other.getByTestId("assistant-message").last();
  await expect(theirs).toHaveAttribute("data-status", "complete", { timeout: 30_000 });
  const theirId = (await theirs.getAttribute("data-message-id"))!;
  let rewritten = 0;
  await other.route(
    (url) => url.pathname.startsWith("/chat/"),
    async (route) => {
      const request = route.request();
      const body = request.postData();
      if (request.method() !== "POST" || !request.headers()["next-action"] || !body?.includes(theirId)) return route.continue();
      rewritten++;
      await route.continue({ postData: body.replaceAll(theirId, ownerAnswerId!) });
    },
  );
  await theirs.getByRole("button", { name: "Bad answer" }).click();
  await expect(theirs.getByRole("alert")).toContainText("That message does not exist.");
  expect(rewritten).toBe(1);
  await other.unroute((url) => url.pathname.startsWith("/chat/"));

  await theirs.getByRole("button", { name: "Correct this answer" }).click();
  await theirs.locator('input[name="messageId"]').evaluate((input, id) => ((input as HTMLInputElement).value = id), ownerAnswerId!);
  await theirs.getByLabel("Corrected answer").fill("Taken over.");
  await theirs.getByRole("button", { name: "Save correction" }).click();
  await expect(theirs.getByRole("form", { name: "Correct this answer" }).getByRole("alert")).toContainText("That message does not exist.");

  // The owner's answer is as it was: still rated good, no correction.
  await page.reload();
  const answer = page.getByTestId("assistant-message").first();
  await expect(answer.getByRole("button", { name: "Good answer" })).toHaveAttribute("aria-pressed", "true");
  await expect(answer.getByRole("button", { name: "Bad answer" })).toHaveAttribute("aria-pressed", "false");
  await expect(answer.getByTestId("correction")).toHaveCount(0);
});

test("another member of the same workspace gets a 404 for the conversation", async ({ browser }) => {
  const link = await createInvitation(page, "admin");
  const colleague = await (await browser.newContext()).newPage();
  await colleague.goto(link);
  await colleague.getByLabel("Your name").fill(teammate.name);
  await colleague.getByLabel("Email").fill(teammate.email);
  await colleague.getByLabel("Password").fill(teammate.password);
  await colleague.getByRole("button", { name: "Create account and join" }).click();
  await expect(colleague).toHaveURL(/\/members$/);
  expect((await colleague.goto(conversationUrl))?.status()).toBe(404);
  await colleague.goto("/chat");
  await expect(colleague.getByText("No conversations yet.")).toBeVisible();
});

test("a chat action posted without a session is refused by the action's own guard (action calls skip the sign-in proxy)", async ({ playwright }) => {
  const manifest = JSON.parse(readFileSync(".next/server/server-reference-manifest.json", "utf8")) as {
    node: Record<string, { filename: string; exportedName: string }>;
  };
  const askActionId = Object.entries(manifest.node).find(([, v]) => v.filename === "app/(app)/chat/actions.ts" && v.exportedName === "askAction")?.[0];
  expect(askActionId).toBeTruthy();
  const conversationId = new URL(conversationUrl).pathname.split("/").at(-1)!;
  const anonymous = await playwright.request.newContext({ baseURL: new URL(conversationUrl).origin });
  const response = await anonymous.post(`/chat/${conversationId}`, {
    headers: { "next-action": askActionId!, accept: "text/x-component", "content-type": "text/plain;charset=UTF-8" },
    data: JSON.stringify([conversationId, { kind: "ask", question: "Asked with no session at all" }]),
  });
  const body = await response.text();
  expect(body).toContain("Sign in to continue.");
  expect(body).not.toContain('"ok":true');
  await anonymous.dispose();
  await page.goto(conversationUrl);
  await expect(page.getByTestId("assistant-message").first()).toBeVisible();
  await expect(page.getByText("Asked with no session at all")).toHaveCount(0);
});

test("deletes the conversation", async () => {
  await page.goto(conversationUrl);
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByText("Rename or delete").click();
  await page.getByRole("button", { name: "Delete conversation" }).click();
  await expect(page).toHaveURL(/\/chat$/);
  const response = await page.goto(conversationUrl);
  expect(response?.status()).toBe(404);
});
