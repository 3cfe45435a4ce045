// Owners and admins see the workspace's usage with its charts, change a quota (and find it in the
// audit log), and export the period as CSV with the page's total; a member sees only their own.
import { expect, test, type Browser, type Page } from "@playwright/test";
import OpenAI from "openai";
import { alertOf, createInvitation, person, signUp } from "./pages/keel";

test.describe.configure({ mode: "serial" });

const owner = person("Ada");
const member = person("Max");
const month = new Date().toISOString().slice(0, 7);
let ownerPage: Page;
let memberPage: Page;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test("an owner's calls show on the Usage page, with charts, the invoice and the forecast", async ({ browser, baseURL }) => {
  ownerPage = await newPage(browser);
  await signUp(ownerPage, owner, `Admin ${Date.now().toString(36)}`);
  await ownerPage.goto("/usage");
  await expect(ownerPage.getByRole("heading", { name: "No model calls in this period" })).toBeVisible();

  await ownerPage.goto("/settings", { waitUntil: "networkidle" });
  await ownerPage.getByLabel("Key name").fill("usage e2e");
  await ownerPage.getByRole("button", { name: "Create API key" }).click();
  const keyField = ownerPage.getByLabel(/New API key/);
  await expect(keyField).toHaveValue(/^keel_/);
  const client = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey: await keyField.inputValue(), maxRetries: 0 });
  for (const question of ["What does Keel store?", "Who meters calls?", "What does Keel store?"]) {
    await client.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: question }] });
  }
  await client.embeddings.create({ model: "keel-embedding", input: ["one", "two"] });

  // The meter writes off the response path: the page catches up within moments.
  await expect(async () => {
    await ownerPage.goto("/usage");
    await expect(ownerPage.getByTestId("usage-table")).toContainText("keel-offline-extractive", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(ownerPage.getByTestId("usage-by-key")).toContainText("usage e2e");
  await expect(ownerPage.getByTestId("usage-totals")).toContainText("Cache savings");
  await expect(ownerPage.getByRole("figure", { name: "Tokens and cost by day" })).toBeVisible();
  await expect(ownerPage.locator(".recharts-surface").first()).toBeVisible();
  await expect(ownerPage.getByTestId("forecast-tokens")).toContainText("At this pace");
  // Those calls were the offline model's: shown apart, and not counted against the allowance.
  await expect(ownerPage.getByTestId("usage-offline")).toContainText(/Offline model: [\d,]+ calls/);
  await expect(ownerPage.getByTestId("quota-tokens")).toContainText(/^0 tokens/);
  await expect(ownerPage.getByTestId("invoice-status")).toContainText("Open");

  const csv = await ownerPage.request.get(`/api/billing/${month}/csv`);
  expect(csv.status()).toBe(200);
  const total = (await csv.text()).split("\r\n").find((row) => row.split(",")[2] === "total")!;
  await expect(ownerPage.getByTestId("invoice-total")).toHaveAttribute("data-amount", total.split(",")[10]!);
});

test("a quota change is saved, applied and in the audit log with before and after", async () => {
  await ownerPage.goto("/settings");
  await ownerPage.getByLabel("Monthly token limit").fill("400000");
  await ownerPage.getByRole("button", { name: "Save limits" }).click();
  await expect(ownerPage.getByText("AI limits saved.")).toBeVisible();
  await ownerPage.goto("/usage");
  await expect(ownerPage.getByTestId("quota-tokens")).toContainText("of 400,000 tokens");
  await ownerPage.goto("/audit");
  await expect(ownerPage.getByTestId("audit-entries")).toContainText("Monthly token limit: the plan's allowance → 400,000 tokens");
  await ownerPage.getByLabel("Action").selectOption({ label: "API key created" });
  await ownerPage.getByRole("button", { name: "Filter" }).click();
  await expect(ownerPage.getByTestId("audit-entry")).toHaveCount(1);
});

test("a member sees their own usage only, and gets 403 from the workspace's figures", async ({ browser }) => {
  const link = await createInvitation(ownerPage, "member");
  memberPage = await newPage(browser);
  await memberPage.goto(link);
  await memberPage.getByLabel("Your name").fill(member.name);
  await memberPage.getByLabel("Email").fill(member.email);
  await memberPage.getByLabel("Password").fill(member.password);
  await memberPage.getByRole("button", { name: "Create account and join" }).click();
  await expect(memberPage).toHaveURL(/\/members$/);

  await memberPage.goto("/usage");
  await expect(memberPage.getByRole("heading", { name: "Your usage" })).toBeVisible();
  await expect(memberPage.getByTestId("my-tokens")).toHaveText("0 tokens");
  await expect(memberPage.getByTestId("usage-table")).toHaveCount(0);
  await expect(memberPage.getByText("usage e2e")).toHaveCount(0);
  expect((await memberPage.request.get(`/api/billing/${month}/csv`)).status()).toBe(403);
  expect((await memberPage.goto("/audit"))?.status()).toBe(403);
  await expect(alertOf(memberPage)).toContainText("owners and admins only");
});
