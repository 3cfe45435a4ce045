// Leaving with your data (issue 19.7), in Chromium on the shared server: an owner exports the
// workspace (watches the job's progress, downloads the zip, which this test unzips and reads),
// schedules the workspace's deletion, a member meets the notice, the owner restores it; a person
// deletes their account, which the only owner of a shared workspace may not.
import { readFile } from "node:fs/promises";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { strFromU8, unzipSync } from "fflate";
import { dropFiles, waitForStatus } from "./pages/documents";
import { alertOf, createInvitation, person, signIn, signUp } from "./pages/keel";

const owner = person("Olive");
const member = person("Milo");
const workspace = `Leaving ${Date.now().toString(36)}`;
const original = "Export check.\n\nThe south turbine was serviced on 4 April; its gearbox was replaced.\n";

test.describe.configure({ mode: "serial" });

let ownerPage: Page;
let memberPage: Page;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext({ acceptDownloads: true })).newPage();
}

test("an owner with a document and a member", async ({ browser }) => {
  ownerPage = await newPage(browser);
  await signUp(ownerPage, owner, workspace);
  await ownerPage.goto("/documents");
  await dropFiles(ownerPage, [{ name: "turbines: south.txt", mimeType: "text/plain", bytes: new TextEncoder().encode(original) }]);
  await waitForStatus(ownerPage, "turbines: south.txt", "ready");

  const link = await createInvitation(ownerPage, "member");
  memberPage = await newPage(browser);
  await memberPage.goto(link);
  await memberPage.getByLabel("Your name").fill(member.name);
  await memberPage.getByLabel("Email").fill(member.email);
  await memberPage.getByLabel("Password").fill(member.password);
  await memberPage.getByRole("button", { name: "Create account and join" }).click();
  await expect(memberPage.getByTestId("active-tenant")).toHaveText(workspace);
});

test("the owner exports the workspace, watches it, downloads and reads the zip", async () => {
  // Members see no export (or deletion) at all.
  await memberPage.goto("/settings");
  await expect(memberPage.getByRole("heading", { name: "Settings" })).toBeVisible();
  await expect(memberPage.getByRole("button", { name: "Export this workspace" })).toHaveCount(0);

  await ownerPage.goto("/settings");
  // Every status the export's row shows while the page is open (it moves with the job's live messages).
  await ownerPage.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __exportStatuses: string[] }).__exportStatuses = seen;
    setInterval(() => {
      const status = document.querySelector('[data-testid="export-row"]')?.getAttribute("data-status");
      if (status && seen[seen.length - 1] !== status) seen.push(status);
    }, 25);
  });
  await ownerPage.getByRole("button", { name: "Export this workspace" }).click();
  const row = ownerPage.getByTestId("export-row").first();
  await expect(row).toBeVisible();
  await expect(row).toHaveAttribute("data-status", "succeeded", { timeout: 60_000 });
  const statuses = await ownerPage.evaluate(() => (window as unknown as { __exportStatuses: string[] }).__exportStatuses);
  expect(statuses.at(-1)).toBe("succeeded");
  expect(statuses.slice(0, -1).some((status) => status === "queued" || status === "running")).toBe(true);
  const link = row.getByTestId("export-download");
  await expect(link).toContainText("Download the zip");

  const [download] = await Promise.all([ownerPage.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toMatch(/^keel-.*\.zip$/);
  const files = unzipSync(new Uint8Array(await readFile((await download.path())!)));
  const documents = JSON.parse(strFromU8(files["documents.json"]!)) as Array<{ id: string; name: string }>;
  expect(documents.map((d) => d.name)).toEqual(["turbines: south.txt"]);
  expect(strFromU8(files["documents.csv"]!)).toContain("turbines: south.txt");
  for (const name of ["analyses.json", "analyses.csv", "conversations.json", "messages.csv", "usage-events.json", "audit-log.csv"]) {
    expect(Object.keys(files)).toContain(name);
  }
  // The original, byte for byte, its name made safe for any disk.
  expect(strFromU8(files[`originals/${documents[0]!.id}/turbines_ south.txt`]!)).toBe(original);

  // Someone else's browser gets nothing from the download route.
  const stranger = await memberPage.request.get(new URL((await link.getAttribute("href"))!, ownerPage.url()).pathname);
  expect(stranger.status()).toBe(403);
});

test("the only owner of a shared workspace cannot delete their account", async () => {
  await ownerPage.goto("/account");
  await ownerPage.getByLabel("Your password").fill(owner.password);
  await ownerPage.getByLabel(/delete my account/).fill("delete my account");
  await ownerPage.getByRole("button", { name: "Delete my account" }).click();
  await expect(alertOf(ownerPage)).toContainText(`You are the only owner of “${workspace}”`);
});

test("the owner schedules the workspace's deletion; the member sees the notice; the owner restores it", async () => {
  await ownerPage.goto("/settings");
  await ownerPage.getByLabel(/to confirm/).fill("not the name");
  await ownerPage.getByRole("button", { name: "Delete this workspace" }).click();
  await expect(ownerPage.getByText(`Type “${workspace}” exactly to confirm.`)).toBeVisible();
  await ownerPage.getByLabel(/to confirm/).fill(workspace);
  await ownerPage.getByRole("button", { name: "Delete this workspace" }).click();
  await expect(ownerPage).toHaveURL(/\/scheduled-for-deletion$/);
  await expect(ownerPage.getByRole("heading", { name: `${workspace} is scheduled for deletion` })).toBeVisible();

  // At once, for everyone: every page leads to the notice, and the member cannot restore it.
  await memberPage.goto("/documents");
  await expect(memberPage).toHaveURL(/\/scheduled-for-deletion$/);
  await expect(memberPage.getByTestId("deletion-date")).toBeVisible();
  await expect(memberPage.getByRole("button", { name: "Restore this workspace" })).toHaveCount(0);
  await expect(memberPage.getByText("Ask an owner")).toBeVisible();
  expect((await memberPage.request.get("/api/members")).status()).toBe(410);

  await ownerPage.getByRole("button", { name: "Restore this workspace" }).click();
  await expect(ownerPage).toHaveURL(/\/settings$/);
  await memberPage.goto("/documents");
  await expect(memberPage).toHaveURL(/\/documents$/);
  await expect(memberPage.getByTestId("active-tenant")).toHaveText(workspace);
});

test("a person deletes their account: signed out at once, and cannot sign in again", async () => {
  await memberPage.goto("/account");
  await memberPage.getByLabel("Your password").fill("a wrong password");
  await memberPage.getByLabel(/delete my account/).fill("delete my account");
  await memberPage.getByRole("button", { name: "Delete my account" }).click();
  await expect(memberPage.getByText("Your password is incorrect.").first()).toBeVisible();

  await memberPage.getByLabel("Your password").fill(member.password);
  await memberPage.getByLabel(/delete my account/).fill("delete my account");
  await memberPage.getByRole("button", { name: "Delete my account" }).click();
  await expect(memberPage).toHaveURL(/\/sign-in/);
  await memberPage.goto("/chat");
  await expect(memberPage).toHaveURL(/\/sign-in/);
  await signIn(memberPage, member);
  await expect(alertOf(memberPage)).toBeVisible();
  await expect(memberPage).toHaveURL(/\/sign-in/);

  // The workspace goes on without them.
  await ownerPage.goto("/members");
  await expect(ownerPage.getByTestId("member-email")).toHaveText([owner.email]);
});
