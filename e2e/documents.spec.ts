// Documents end to end on the production build (two workers, the local executor): files dropped on
// the page are analysed while the page watches their stages live; the completion notification
// arrives; the analysis opens; a running analysis can be cancelled; a refused upload says why; and
// another tenant sees none of it — not in pages, not in notifications, not on the live stream.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { makeDocx, makePdf } from "../test/document-fixtures";
import { documentRow, dropFiles, recordStages, stagesSeen, waitForStatus } from "./pages/documents";
import { person, signUp } from "./pages/keel";

test.describe.configure({ mode: "serial" });

const alice = person("Dora");
const bob = person("Eli");
let alicePage: Page;
let bobPage: Page;
let aliceDocumentId = "";

const sentence = (i: number) => `Paragraph ${i} describes how the Aberdeen wind farm reports vibration, output and faults to the control room every day.`;
const pdfPages = (count: number) =>
  Array.from({ length: count }, (_, p) => ({
    heading: p % 5 === 0 ? `Chapter ${p / 5 + 1}` : undefined,
    paragraphs: Array.from({ length: 6 }, (_, i) => sentence(p * 6 + i)),
  }));

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test.beforeAll(async ({ browser }) => {
  alicePage = await newPage(browser);
  bobPage = await newPage(browser);
  await signUp(alicePage, alice, `Docs ${Date.now().toString(36)}`);
  await signUp(bobPage, bob, `Other ${Date.now().toString(36)}`);
});

test("drops a multi-page PDF and a DOCX, watches them reach ready, and gets notified", async () => {
  await alicePage.goto("/documents");
  await recordStages(alicePage);
  await dropFiles(alicePage, [
    { name: "wind-report.pdf", mimeType: "application/pdf", bytes: await makePdf(pdfPages(12)) },
    {
      name: "handbook.docx",
      mimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      bytes: makeDocx([{ heading: "Safety" }, { paragraph: "Wear a harness on every climb." }]),
    },
  ]);
  await expect(alicePage.getByTestId("upload-item")).toHaveCount(2);
  await expect(alicePage.locator('[data-testid="upload-item"][data-status="done"]')).toHaveCount(2, { timeout: 30_000 });
  await waitForStatus(alicePage, "wind-report.pdf", "ready");
  await waitForStatus(alicePage, "handbook.docx", "ready");
  // The page showed the analysis moving through its stages, live, before it was ready.
  const seen = await stagesSeen(alicePage, "wind-report.pdf");
  expect(seen.at(-1)).toBe("ready");
  expect(seen.some((stage) => ["queued", "extracting", "chunking", "embedding", "analysing"].includes(stage))).toBe(true);
  // The completion notification: a toast, and an entry behind the bell.
  await expect(alicePage.getByTestId("toast").filter({ hasText: "is analysed" }).first()).toBeVisible();
  await alicePage.getByTestId("notification-bell").click();
  await expect(alicePage.getByTestId("notification-list")).toContainText("wind-report.pdf");
  await alicePage.getByRole("button", { name: "Mark all read" }).click();
  await expect(alicePage.getByTestId("unread-count")).toHaveCount(0);
});

test("opens the analysis with its passages, pages and history", async () => {
  await documentRow(alicePage, "wind-report.pdf").getByRole("link", { name: "wind-report.pdf" }).click();
  await expect(alicePage).toHaveURL(/\/documents\/[0-9a-f-]{36}$/);
  aliceDocumentId = alicePage.url().split("/").pop()!;
  await expect(alicePage.getByTestId("analysis")).toContainText(/\w+/);
  await expect(alicePage.getByTestId("chunk-list")).toContainText(/pages? 1\b/);
  await expect(alicePage.getByTestId("status-history")).toContainText("embedding");
  await expect(alicePage.getByTestId("document-language")).toHaveText("en");
  // The notification survived a reload and is read.
  await alicePage.reload();
  await expect(alicePage.getByTestId("unread-count")).toHaveCount(0);
});

test("cancels a running analysis", async () => {
  await alicePage.goto("/documents");
  await recordStages(alicePage);
  await dropFiles(alicePage, [{ name: "long-archive.pdf", mimeType: "application/pdf", bytes: await makePdf(pdfPages(400)) }]);
  const row = documentRow(alicePage, "long-archive.pdf");
  await row.getByRole("button", { name: "Cancel" }).click();
  await waitForStatus(alicePage, "long-archive.pdf", "cancelled");
  await expect(row.getByRole("button", { name: "Retry" })).toBeVisible();
  // It stays cancelled: no later step revives it.
  await alicePage.waitForTimeout(1_500);
  await alicePage.reload();
  await expect(documentRow(alicePage, "long-archive.pdf").getByTestId("document-status")).toHaveAttribute("data-stage", "cancelled");
});

test("shows why an upload was refused", async () => {
  await alicePage.goto("/documents");
  await dropFiles(alicePage, [
    { name: "notes.pdf", mimeType: "application/pdf", bytes: new TextEncoder().encode("These are plain notes, not a PDF.") },
    { name: "empty.txt", mimeType: "text/plain", bytes: new Uint8Array(0) },
  ]);
  const errors = alicePage.getByTestId("upload-error");
  await expect(errors).toHaveCount(2);
  await expect(errors.nth(0)).toContainText(/named \.pdf but its content is plain text|The file is empty/);
  await expect(alicePage.getByText("The file is empty: there is nothing to analyse.")).toBeVisible();
  await expect(documentRow(alicePage, "notes.pdf")).toHaveCount(0);
});

test("another tenant sees none of the documents, notifications or job events", async () => {
  // Bob listens on the live stream while Alice's document is re-analysed; his stream carries
  // nothing of hers, whatever ids he puts in the query.
  await bobPage.goto("/documents");
  const heard = bobPage.evaluate(async (id) => {
    const response = await fetch(`/api/live?tenantId=x&documentId=${id}`);
    const reader = response.body!.getReader();
    let text = "";
    const until = Date.now() + 8_000;
    while (Date.now() < until) {
      const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), 500))]);
      if (next && !next.done) text += new TextDecoder().decode(next.value);
    }
    await reader.cancel();
    return text;
  }, aliceDocumentId);
  await alicePage.goto(`/documents/${aliceDocumentId}`);
  await alicePage.getByRole("button", { name: "Re-analyse" }).click();
  await expect(alicePage.getByTestId("document-status")).toHaveAttribute("data-stage", "ready", { timeout: 30_000 });
  const stream = await heard;
  expect(stream).toContain("event: ready");
  expect(stream).not.toContain(aliceDocumentId);

  await expect(bobPage.getByTestId("document-row")).toHaveCount(0);
  const direct = await bobPage.goto(`/documents/${aliceDocumentId}`);
  expect(direct?.status()).toBe(404);
  await bobPage.goto("/documents");
  await bobPage.getByTestId("notification-bell").click();
  await expect(bobPage.getByText("Nothing yet.")).toBeVisible();
  // Uploading into Alice's collection, or acting on her document, is refused as if it did not exist.
  const upload = await bobPage.request.post(`/api/documents?collectionId=${aliceDocumentId}`, { data: "hello", headers: { "x-file-name": "x.txt" } });
  expect(upload.status()).toBe(404);
});
