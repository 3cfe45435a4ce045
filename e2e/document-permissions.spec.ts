// Inside a workspace, a plain member sees no re-analyse, cancel or delete on the owner's document,
// and a forged server-action call (their own document's form pointed at the owner's document) is
// refused with a clear message while the owner's document stays as it was. A signed-out session's
// cookie, replayed, no longer works (sessions are revocable).
import { expect, test, type Browser, type Page } from "@playwright/test";
import { documentRow, dropFiles, waitForStatus } from "./pages/documents";
import { alertOf, createInvitation, person, signUp } from "./pages/keel";

test.describe.configure({ mode: "serial" });

const owner = person("Olga");
const member = person("Mick");
let ownerPage: Page;
let memberPage: Page;
let ownerDocumentId = "";

const markdown = (topic: string) =>
  `# ${topic}\n\n${Array.from({ length: 8 }, (_, i) => `Paragraph ${i} on ${topic}: each inspection is logged with its findings.`).join("\n\n")}\n`;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

async function upload(page: Page, name: string): Promise<string> {
  await page.goto("/documents");
  await dropFiles(page, [{ name, mimeType: "text/markdown", bytes: Buffer.from(markdown(name)) }]);
  await waitForStatus(page, name, "ready");
  const href = await documentRow(page, name).getByRole("link", { name }).getAttribute("href");
  return href!.split("/").pop()!;
}

test.beforeAll(async ({ browser }) => {
  ownerPage = await newPage(browser);
  memberPage = await newPage(browser);
  await signUp(ownerPage, owner, `Perms ${Date.now().toString(36)}`);
  const link = await createInvitation(ownerPage, "member");
  await memberPage.goto(link);
  await memberPage.getByLabel("Your name").fill(member.name);
  await memberPage.getByLabel("Email").fill(member.email);
  await memberPage.getByLabel("Password").fill(member.password);
  await memberPage.getByRole("button", { name: "Create account and join" }).click();
  await expect(memberPage).toHaveURL(/\/members$/, { timeout: 30_000 });
  ownerDocumentId = await upload(ownerPage, "owners-plan.md");
});

test("a plain member sees no re-analyse, cancel or delete on the owner's document", async () => {
  await memberPage.goto("/documents");
  const row = documentRow(memberPage, "owners-plan.md");
  await expect(row).toBeVisible();
  await expect(row.getByRole("button")).toHaveCount(0);

  await memberPage.goto(`/documents/${ownerDocumentId}`);
  await expect(memberPage.locator("header").getByRole("heading", { name: "owners-plan.md" })).toBeVisible();
  for (const name of ["Re-analyse", "Retry analysis", "Cancel analysis", "Delete"]) {
    await expect(memberPage.getByRole("button", { name, exact: true })).toHaveCount(0);
  }
  await expect(memberPage.getByTestId("document-actions-note")).toContainText("Only the person who uploaded this document, or an admin");

  // The owner sees them on the same document.
  await ownerPage.goto(`/documents/${ownerDocumentId}`);
  await expect(ownerPage.getByRole("button", { name: "Re-analyse" })).toBeVisible();
  await expect(ownerPage.getByRole("button", { name: "Delete" })).toBeVisible();
});

test("a forged action call on the owner's document is refused and changes nothing", async () => {
  const ownId = await upload(memberPage, "members-notes.md");
  await memberPage.goto(`/documents/${ownId}`);
  // Point the member's own forms at the owner's document: the server action is called with it.
  await memberPage.evaluate((target) => {
    for (const input of document.querySelectorAll<HTMLInputElement>('input[name="documentId"]')) input.value = target;
  }, ownerDocumentId);
  await memberPage.getByRole("button", { name: "Re-analyse" }).click();
  await expect(alertOf(memberPage)).toContainText("Only the person who uploaded this document, or an admin, can re-analyse it.");

  memberPage.once("dialog", (dialog) => void dialog.accept());
  await memberPage.getByRole("button", { name: "Delete" }).click();
  await expect(alertOf(memberPage).filter({ hasText: "can delete it" })).toContainText(
    "Only the person who uploaded this document, or an admin, can delete it.",
  );

  // The owner's document is still there, analysed once, never re-queued.
  await ownerPage.goto(`/documents/${ownerDocumentId}`);
  await expect(ownerPage.locator("header").getByRole("heading", { name: "owners-plan.md" })).toBeVisible();
  await expect(ownerPage.getByRole("button", { name: "Re-analyse" })).toBeVisible();
});

test("a signed-out session's cookie no longer opens anything", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const someone = person("Sian");
  await signUp(page, someone, `Signout ${Date.now().toString(36)}`);
  const cookies = await context.cookies();
  expect((await page.request.get("/api/members")).status()).toBe(200);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);

  // Someone kept a copy of the session cookie: replayed in a fresh browser, it is refused as soon
  // as each app process's 2-second session cache has run out.
  const replay = await browser.newContext();
  await replay.addCookies(cookies);
  const signedOutAt = Date.now();
  await expect.poll(async () => (await replay.request.get("/api/members")).status(), { timeout: 5_000, intervals: [250] }).toBe(401);
  expect(Date.now() - signedOutAt).toBeLessThan(5_000);
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  // Every process has noticed by now (requests land on either worker).
  for (let i = 0; i < 4; i++) expect((await replay.request.get("/api/members")).status()).toBe(401);
  expect((await replay.request.get("/api/live")).status()).toBe(401);
  await context.close();
  await replay.close();
});
