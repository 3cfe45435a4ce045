// Page object for the Documents page: drop files on the drop zone, wait for their analysis.
import { expect, type Page } from "@playwright/test";

export interface FileToDrop {
  name: string;
  mimeType: string;
  bytes: Uint8Array;
}

/** Drops files on the drop zone the way a browser does (a DataTransfer with File objects). */
export async function dropFiles(page: Page, files: FileToDrop[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, mimeType: f.mimeType, base64: Buffer.from(f.bytes).toString("base64") }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const transfer = new DataTransfer();
    for (const item of items) {
      const binary = atob(item.base64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      transfer.items.add(new File([bytes], item.name, { type: item.mimeType }));
    }
    return transfer;
  }, payload);
  const zone = page.getByTestId("drop-zone");
  await zone.dispatchEvent("dragover", { dataTransfer });
  await zone.dispatchEvent("drop", { dataTransfer });
}

export function documentRow(page: Page, name: string) {
  return page.locator(`[data-testid="document-row"][data-name="${name}"]`);
}

export async function waitForStatus(page: Page, name: string, stage: string, timeout = 60_000): Promise<void> {
  await expect(documentRow(page, name).getByTestId("document-status")).toHaveAttribute("data-stage", stage, { timeout });
}

/** Records every stage each document row shows while the page is open (React renders live updates). */
export async function recordStages(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    (window as unknown as { __stages: typeof seen }).__stages = seen;
    const note = () => {
      for (const row of document.querySelectorAll<HTMLElement>('[data-testid="document-row"]')) {
        const name = row.dataset.name ?? "";
        const stage = row.querySelector<HTMLElement>('[data-testid="document-status"]')?.dataset.stage;
        if (!stage) continue;
        const list = (seen[name] ??= []);
        if (list.at(-1) !== stage) list.push(stage);
      }
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-stage"] });
    note();
  });
}

export function stagesSeen(page: Page, name: string): Promise<string[]> {
  return page.evaluate((n) => (window as unknown as { __stages: Record<string, string[]> }).__stages[n] ?? [], name);
}
