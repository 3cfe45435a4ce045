// Plans bound what a workspace may set itself, and only a platform operator changes a plan.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { person, signUpConfirmed, signUp } from "./pages/keel";

const owner = person("Olga");
// Listed in KEEL_OPERATOR_EMAILS by e2e/serve.ts.
const operator = { name: "Operator", email: "operator-plans@keel-e2e.test", password: "Operator-long-password-1" };
const workspace = `Frugal ${Date.now().toString(36)}`;

test.describe.configure({ mode: "serial" });

let ownerPage: Page;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test("a free workspace cannot set limits above its plan's allowance", async ({ browser }) => {
  ownerPage = await newPage(browser);
  await signUp(ownerPage, owner, workspace);
  await ownerPage.goto("/settings");
  await expect(ownerPage.getByTestId("limits-summary")).toContainText("500,000 tokens");
  await ownerPage.getByLabel("Monthly token limit").fill("1000000000000");
  await ownerPage.getByRole("button", { name: "Save limits" }).click();
  await expect(ownerPage.getByText(/free plan allows at most 500,000 tokens/)).toBeVisible();
  await ownerPage.getByLabel("Monthly token limit").fill("1000");
  await ownerPage.getByRole("button", { name: "Save limits" }).click();
  await expect(ownerPage.getByText("AI limits saved.")).toBeVisible();
});

test("the operator page does not exist for a workspace owner", async () => {
  const response = await ownerPage.goto("/operator");
  expect(response?.status()).toBe(404);
});

test("an operator changes the workspace's plan, and its allowance follows", async ({ browser }) => {
  const page = await newPage(browser);
  await signUpConfirmed(page, operator, "Operations");
  // Hydrated first: hydration would put the select back to its server-rendered value.
  await page.goto("/operator", { waitUntil: "networkidle" });
  const form = page.getByRole("form", { name: `Plan of ${workspace}` });
  await form.getByLabel(`Plan of ${workspace}`).selectOption("pro");
  await form.getByRole("button", { name: "Change plan" }).click();
  // The select shows "pro" as soon as it is picked: the server's page says when the change is saved.
  await expect(async () => {
    await page.reload({ waitUntil: "networkidle" });
    await expect(form.getByLabel(`Plan of ${workspace}`)).toHaveValue("pro", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });

  await ownerPage.goto("/settings");
  await expect(ownerPage.getByTestId("limits-summary")).toContainText("20,000,000 tokens");
  await expect(ownerPage.getByTestId("limits-summary")).toContainText("1,000 tokens");
});
