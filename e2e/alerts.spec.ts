// Alerts end to end: the production build with real provider clients pointed at scripted fakes on
// loopback. Every provider failing drives the workspace's error rate over its 2% line: within a
// minute (the evaluate-alerts cron on the local executor) one alert opens, shown on every page and
// in the bell; healthy calls bring the rate back under the warn line and it resolves, once.
import { expect, test, type Page } from "@playwright/test";
import OpenAI from "openai";
import { person, signUp } from "./pages/keel";
import { startProviderServer, type ProviderServer } from "./provider-server";
import { ownServerPort } from "./pages/ports";

test.describe.configure({ mode: "serial" });

const port = ownServerPort("alerts");
test.use({ baseURL: `http://127.0.0.1:${port}` });

const owner = person("Alma");
let server: ProviderServer;
let page: Page;
let clients: OpenAI[];

/** A new API key's client. Two share the healthy calls: the free plan allows 60 requests a minute per key. */
async function newClient(name: string): Promise<OpenAI> {
  await page.goto("/settings", { waitUntil: "networkidle" });
  await page.getByLabel("Key name").fill(name);
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyField = page.getByLabel(/New API key/);
  await expect(keyField).toHaveValue(/^keel_/);
  return new OpenAI({ baseURL: `${server.url}/api/v1`, apiKey: await keyField.inputValue(), maxRetries: 0 });
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  server = await startProviderServer(port);
  page = await (await browser.newContext()).newPage();
  await signUp(page, owner, `Alerts ${Date.now().toString(36)}`);
  clients = [await newClient("alerts e2e"), await newClient("alerts e2e second")];
});

test.afterAll(async () => {
  await server?.stop();
});

const ask = (n: number) =>
  clients[n % clients.length]!.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: `Health check number ${n}.` }] });

/** The error-rate rows of the alerts table on the observability page. */
async function errorRateEpisodes() {
  await page.goto("/observability");
  return page.getByTestId("alert-episodes").locator('tr[data-metric="infrastructure.error_rate"]');
}

test("an alert opens once when the error rate crosses 2%, and resolves once when it is back under the warn line", async () => {
  test.setTimeout(240_000);
  // Every provider down: each call ends in an error the meter records.
  server.primary.setDefault({ kind: "status", status: 500, message: "primary down" });
  server.fallback.setDefault({ kind: "status", status: 500, message: "fallback down" });
  await expect(ask(0)).rejects.toThrow();
  const failedAt = Date.now();

  // The cron runs every minute; the banner shows on every page once the alert is open.
  await expect(async () => {
    await page.goto("/documents");
    await expect(page.getByTestId("open-alerts")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 100_000, intervals: [5_000] });
  let rows = await errorRateEpisodes();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Open");
  await expect(page.locator('[data-testid="metric"][data-key="infrastructure.error_rate"]')).toHaveAttribute("data-state", "alert");

  // Providers back: enough healthy calls bring the last hour's rate under 1.6% (1 of 71 is 1.4%),
  // within the free plan's rate limits (60 a minute per key, 120 for the workspace).
  // First the circuit breakers' 30 s cool-down since the last failure, then one call at a time
  // while each worker's breaker lets its single probe through, then in parallel.
  server.primary.setDefault({ kind: "text", text: "All good." });
  server.fallback.setDefault({ kind: "text", text: "All good." });
  await page.waitForTimeout(Math.max(0, failedAt + 31_000 - Date.now()));
  for (let n = 1; n < 8; n++) await ask(n);
  for (let start = 8; start < 71; start += 9) {
    await Promise.all(Array.from({ length: Math.min(9, 71 - start) }, (_, i) => ask(start + i)));
  }
  await expect(async () => {
    rows = await errorRateEpisodes();
    await expect(rows.first()).toContainText("Resolved", { timeout: 1_000 });
  }).toPass({ timeout: 100_000, intervals: [5_000] });
  // Every evaluation while the rate stayed high kept the one episode; none opened after.
  await expect(rows).toHaveCount(1);
  await expect(page.locator('[data-testid="metric"][data-key="infrastructure.error_rate"]')).not.toHaveAttribute("data-state", "alert");

  // The bell told the owner once of each end.
  await page.getByRole("button", { name: /Notifications/ }).click();
  await expect(page.getByText(/^Alert: Error rate/)).toHaveCount(1);
  await expect(page.getByText(/^Resolved: Error rate/)).toHaveCount(1);
});
