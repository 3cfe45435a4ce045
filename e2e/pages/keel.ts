// Page objects for the flows the end-to-end tests repeat.
import { expect, type Page } from "@playwright/test";

export interface Person {
  name: string;
  email: string;
  password: string;
}

const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
// Every spec file shares this module in Playwright's worker: a counter keeps two specs that pick
// the same first name from signing up the same address.
let people = 0;
export function person(name: string): Person {
  return { name, email: `${name.toLowerCase()}-${runId}-${++people}@example.test`, password: `${name}-long-password-1` };
}

export async function signUp(page: Page, who: Person, workspaceName: string): Promise<void> {
  await page.goto("/sign-up");
  await page.getByLabel("Your name").fill(who.name);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByLabel("Workspace name").fill(workspaceName);
  await page.getByRole("button", { name: "Create account and workspace" }).click();
  // Hashing the password and creating the workspace on a server that has just started, on a busy
  // machine, can take longer than an assertion's default wait.
  await expect(page).toHaveURL(/\/chat$/, { timeout: 30_000 });
  await expect(page.getByTestId("active-tenant")).toHaveText(workspaceName);
}

export async function signIn(page: Page, who: Person, path = "/sign-in"): Promise<void> {
  await page.goto(path);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * Signs up someone whose address must be confirmed for what they do (a platform operator), confirms
 * it from the development outbox, and signs in again with the confirmed address.
 */
export async function signUpConfirmed(page: Page, who: Person, workspaceName: string): Promise<void> {
  await signUp(page, who, workspaceName);
  await confirmEmailFromOutbox(page, who.email);
  // Confirming ends on the sign-in page.
  await signIn(page, who);
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"), { timeout: 20_000 });
}

/** Follows the newest confirmation link mailed to `email`, from the development outbox (signed in). */
async function confirmEmailFromOutbox(page: Page, email: string): Promise<void> {
  await page.goto("/dev/outbox");
  await page
    .getByTestId("outbox-list")
    .getByRole("listitem")
    .filter({ hasText: `to ${email}` })
    .first()
    .getByRole("link")
    .click();
  await page.getByTestId("outbox-links").getByRole("link").first().click();
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page).toHaveURL(/\/sign-in\?verified=1/);
}

/** Creates an invitation link on the members page and returns it. */
export async function createInvitation(page: Page, role: "member" | "admin"): Promise<string> {
  await page.goto("/members");
  await page.getByLabel("Role", { exact: true }).selectOption(role);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const link = page.getByLabel(/Invitation link/);
  await expect(link).toHaveValue(/\/invite\//);
  return link.inputValue();
}

export async function memberEmails(page: Page): Promise<string[]> {
  await page.goto("/members");
  await expect(page.getByTestId("member-list")).toBeVisible();
  return (await page.getByTestId("member-email").allTextContents()).map((t) => t.trim()).sort();
}

export async function switchTenant(page: Page, workspaceName: string): Promise<void> {
  await page.getByLabel("Workspace", { exact: true }).selectOption({ label: workspaceName });
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(page.getByTestId("active-tenant")).toHaveText(workspaceName);
}

/** Keel's own alerts (Next.js adds an empty route announcer with role="alert" as well). */
export function alertOf(page: Page) {
  return page.locator('[role="alert"]:not(#__next-route-announcer__)');
}
