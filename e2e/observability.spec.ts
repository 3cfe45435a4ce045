// The observability page: an owner sees the four layers with states, thresholds and the window,
// empty at first and with figures once calls are made; a member is refused; an operator sees the
// whole platform and picks a workspace.
import { expect, test, type Browser, type Page } from "@playwright/test";
import OpenAI from "openai";
import { alertOf, createInvitation, person, signUpConfirmed, signUp } from "./pages/keel";

test.describe.configure({ mode: "serial" });

const owner = person("Oksana");
const member = person("Mona");
// Listed in KEEL_OPERATOR_EMAILS by e2e/serve.ts (the plans spec uses the same account).
const operator = { name: "Operator", email: "operator-observability@keel-e2e.test", password: "Operator-long-password-1" };
const workspace = `Observed ${Date.now().toString(36)}`;
let ownerPage: Page;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

const metric = (page: Page, key: string) => page.locator(`[data-testid="metric"][data-key="${key}"]`);

test("an owner sees the four layers, empty at first, then the figures of their calls", async ({ browser, baseURL }) => {
  ownerPage = await newPage(browser);
  await signUp(ownerPage, owner, workspace);
  await ownerPage.getByRole("link", { name: "Observability" }).click();
  await expect(ownerPage.getByRole("heading", { name: "Observability", level: 1 })).toBeVisible();
  await expect(ownerPage.getByText(/last 60 minutes/).first()).toBeVisible();
  await expect(ownerPage.getByRole("heading", { name: "Nothing measured yet" })).toBeVisible();
  for (const layer of ["Infrastructure", "LLM operations", "Output quality", "Business value"]) {
    await expect(ownerPage.getByRole("heading", { name: layer, level: 2 })).toBeVisible();
  }
  await expect(metric(ownerPage, "infrastructure.error_rate")).toHaveAttribute("data-state", "ok");
  await expect(metric(ownerPage, "infrastructure.error_rate")).toContainText("alert > 2.0%");
  await expect(metric(ownerPage, "llm.p95_latency")).toContainText("alert > 10 s");

  await ownerPage.goto("/settings", { waitUntil: "networkidle" });
  await ownerPage.getByLabel("Key name").fill("observability e2e");
  await ownerPage.getByRole("button", { name: "Create API key" }).click();
  const keyField = ownerPage.getByLabel(/New API key/);
  await expect(keyField).toHaveValue(/^keel_/);
  const client = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey: await keyField.inputValue(), maxRetries: 0 });
  for (const question of ["What does Keel observe?", "Who watches the gateway?"]) {
    await client.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: question }] });
  }

  // The meter writes off the response path: the page catches up within moments.
  await expect(async () => {
    await ownerPage.goto("/observability");
    await expect(metric(ownerPage, "llm.tokens").getByTestId("metric-value")).not.toHaveText("0", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(ownerPage.getByRole("heading", { name: "Nothing measured yet" })).toHaveCount(0);
  await expect(metric(ownerPage, "infrastructure.error_rate").getByTestId("metric-value")).toHaveText("0.0%");
  await expect(metric(ownerPage, "llm.provider_availability.offline")).toContainText("2 of 2 calls succeeded");
  await expect(metric(ownerPage, "business.weekly_active_users")).toContainText("7 days to yesterday");
  await expect(ownerPage.getByTestId("observability-summary")).toContainText("Every metric is within its threshold.");
  await expect(metric(ownerPage, "llm.tokens").locator(".recharts-surface")).toBeVisible();
});

test("a member is refused, whatever the URL asks for", async ({ browser }) => {
  const link = await createInvitation(ownerPage, "member");
  const memberPage = await newPage(browser);
  await memberPage.goto(link);
  await memberPage.getByLabel("Your name").fill(member.name);
  await memberPage.getByLabel("Email").fill(member.email);
  await memberPage.getByLabel("Password").fill(member.password);
  await memberPage.getByRole("button", { name: "Create account and join" }).click();
  await expect(memberPage).toHaveURL(/\/members$/);
  await expect(memberPage.getByRole("link", { name: "Observability" })).toHaveCount(0);
  for (const path of ["/observability", "/observability?scope=platform"]) {
    expect((await memberPage.goto(path))?.status()).toBe(403);
    await expect(alertOf(memberPage)).toContainText("owners and admins only");
    await expect(memberPage.getByTestId("metric")).toHaveCount(0);
  }
  // An owner who is no operator asking for the platform still sees only their workspace.
  await ownerPage.goto("/observability?scope=platform");
  await expect(ownerPage.getByText(/^This workspace\./)).toBeVisible();
  await expect(ownerPage.getByRole("form", { name: "Choose what to observe" })).toHaveCount(0);
});

test("an operator sees the whole platform and picks a workspace", async ({ browser }) => {
  const page = await newPage(browser);
  await signUpConfirmed(page, operator, "Operations");
  await page.goto("/observability?scope=platform");
  await expect(page.getByText(/The whole platform, every workspace together/)).toBeVisible();
  const picker = page.getByRole("form", { name: "Choose what to observe" });
  const option = await picker.locator("option", { hasText: workspace }).getAttribute("value");
  await picker.getByLabel("Scope").selectOption(option!);
  await picker.getByRole("button", { name: "Show" }).click();
  await expect(page.getByText(`Workspace: ${workspace}.`, { exact: false })).toBeVisible();
  await expect(metric(page, "llm.provider_availability.offline")).toContainText("2 of 2 calls succeeded");
});
