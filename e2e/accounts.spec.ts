// Accounts by email, end to end in Chromium against a production build on its own port, with
// verification required and mail going over real SMTP to a server in this process
// (test/mail-catcher.ts): sign-up waits for the confirmation link; "Forgot password" answers the
// same for an unknown address, its link resets once and signs the other devices out; the
// sessions list signs out one device or all the others; a new email takes effect through the
// link mailed to it; an invitation goes by email and its link joins the workspace.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { startMailCatcher, type CaughtMail, type MailCatcher } from "../test/mail-catcher";
import { alertOf, memberEmails, person } from "./pages/keel";
import { startOwnServer } from "./pages/own-server";
import { ownServerPort } from "./pages/ports";

test.describe.configure({ mode: "serial" });

const port = ownServerPort("accounts");
const origin = `http://127.0.0.1:${port}`;
test.use({ baseURL: origin });

const ada = person("Ada");
const workspace = "Verified Works";
let mail: MailCatcher;
let cleanUp: () => Promise<void>;
let adaPage: Page;

async function startServer(): Promise<void> {
  mail = await startMailCatcher();
  const server = await startOwnServer({
    name: "accounts",
    port,
    origin,
    env: {
      KEEL_REQUIRE_EMAIL_VERIFICATION: "true",
      SMTP_URL: mail.url,
      SMTP_FROM: "Keel <keel@e2e.test>",
      KEEL_MAIL_OUTBOX: undefined,
      SMTP_HOST: undefined,
    },
  });
  cleanUp = async () => {
    await server.stop();
    await mail.close();
  };
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  await startServer();
});

test.afterAll(async () => {
  await cleanUp?.();
});

/** The first link under `path` in the newest mail to `to` that arrived after `after` messages. */
async function mailedLink(to: string, path: string, after: number): Promise<{ link: string; message: CaughtMail }> {
  const message = await mail.waitFor((m) => m.to === to && mail.messages.indexOf(m) >= after && m.links.some((l) => l.startsWith(`${origin}${path}`)), 30_000);
  return { link: message.links.find((l) => l.startsWith(`${origin}${path}`))!, message };
}

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("sign-up waits for the emailed confirmation link, then signs in", async ({ browser }) => {
  adaPage = await newPage(browser);
  const before = mail.messages.length;
  await adaPage.goto("/sign-up");
  await adaPage.getByLabel("Your name").fill(ada.name);
  await adaPage.getByLabel("Email").fill(ada.email);
  await adaPage.getByLabel("Password").fill(ada.password);
  await adaPage.getByLabel("Workspace name").fill(workspace);
  await adaPage.getByRole("button", { name: "Create account and workspace" }).click();
  await expect(adaPage).toHaveURL(/\/verify-email\?sent=1$/, { timeout: 30_000 });

  // Not in before the address is confirmed.
  await signIn(adaPage, ada.email, ada.password);
  await expect(alertOf(adaPage).first()).toContainText("Confirm your email address first");

  const { link, message } = await mailedLink(ada.email, "/verify-email/", before);
  expect(message.subject).toBe(`Confirm your email for ${workspace}`);
  expect(message.html).toContain(workspace);
  await adaPage.goto(link);
  await adaPage.getByRole("button", { name: "Confirm my email" }).click();
  await expect(adaPage).toHaveURL(/\/sign-in\?verified=1$/);
  await expect(adaPage.getByRole("status").first()).toContainText("Your email is confirmed");
  await signIn(adaPage, ada.email, ada.password);
  await expect(adaPage).toHaveURL(/\/chat$/, { timeout: 30_000 });

  // The link worked once.
  await adaPage.goto(link);
  await expect(alertOf(adaPage)).toContainText("already used");
});

test("forgot password: the same answer for anyone, a single-use link, and the old session signed out", async ({ browser }) => {
  const stranger = await newPage(browser);
  await stranger.goto("/sign-in");
  await stranger.getByRole("link", { name: "Forgot password?" }).click();
  // The sign-in page has an Email field too: fill the one of the page the link opens.
  await expect(stranger.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
  await stranger.getByLabel("Email").fill(`nobody-${Date.now()}@example.test`);
  await stranger.getByRole("button", { name: "Send the link" }).click();
  await expect(stranger.getByRole("status").first()).toContainText("If an account uses that address");
  const answerForNobody = await stranger.getByRole("status").first().textContent();

  const before = mail.messages.length;
  const visitor = await newPage(browser);
  await visitor.goto("/forgot-password");
  await visitor.getByLabel("Email").fill(ada.email);
  await visitor.getByRole("button", { name: "Send the link" }).click();
  await expect(visitor.getByRole("status").first()).toHaveText(answerForNobody!);

  const { link } = await mailedLink(ada.email, "/reset-password/", before);
  await visitor.goto(link);
  ada.password = "Ada-reset-password-2";
  await visitor.getByLabel("New password").fill(ada.password);
  await visitor.getByRole("button", { name: "Set the new password" }).click();
  await expect(visitor).toHaveURL(/\/sign-in\?reset=1$/);

  // The session that was signed in before the reset is over.
  await adaPage.goto("/chat");
  await expect(adaPage).toHaveURL(/\/sign-in/);
  // The link does not work twice.
  await visitor.goto(link);
  await expect(alertOf(visitor)).toContainText("already used");

  await signIn(adaPage, ada.email, ada.password);
  await expect(adaPage).toHaveURL(/\/chat$/, { timeout: 30_000 });
});

test("the sessions list signs out one device, then every other one", async ({ browser }) => {
  const laptop = await newPage(browser);
  const phone = await newPage(browser);
  for (const device of [laptop, phone]) {
    await signIn(device, ada.email, ada.password);
    await expect(device).toHaveURL(/\/chat$/, { timeout: 30_000 });
  }
  await adaPage.goto("/account");
  await expect(adaPage.getByTestId("session-row")).toHaveCount(3);
  await expect(adaPage.getByTestId("session-row").filter({ hasText: "(this device)" })).toContainText("Chrome");

  await adaPage.getByTestId("session-row").filter({ hasNotText: "(this device)" }).first().getByRole("button", { name: "Sign out" }).click();
  await expect(adaPage.getByTestId("session-row")).toHaveCount(2);

  adaPage.once("dialog", (dialog) => void dialog.accept());
  await adaPage.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(adaPage.getByTestId("session-row")).toHaveCount(1);
  // The other worker process may answer from its session check for up to its 2 s cache
  // (SESSION_CHECK_TTL_MS): ask again until it has noticed.
  for (const device of [laptop, phone]) {
    await expect
      .poll(
        async () => {
          await device.goto("/chat");
          return new URL(device.url()).pathname;
        },
        { timeout: 15_000, intervals: [500] },
      )
      .toBe("/sign-in");
  }
  await adaPage.goto("/chat");
  await expect(adaPage).toHaveURL(/\/chat$/);
});

test("a new email takes effect through the link mailed to it", async () => {
  const newEmail = `ada-new-${Date.now()}@example.test`;
  const before = mail.messages.length;
  await adaPage.goto("/account");
  const form = adaPage.getByRole("form", { name: "Change email" });
  await form.getByLabel("New email").fill(newEmail);
  await form.getByLabel("Current password").fill(ada.password);
  await form.getByRole("button", { name: "Send a confirmation link" }).click();
  await expect(form.getByRole("status")).toContainText(`We sent a link to ${newEmail}`);
  await expect(adaPage.getByTestId("account-email")).toContainText(ada.email);

  const { link } = await mailedLink(newEmail, "/confirm-email/", before);
  await adaPage.goto(link);
  await adaPage.getByRole("button", { name: "Use this address" }).click();
  await expect(adaPage).toHaveURL(/\/account\?email-changed=1$/);
  await expect(adaPage.getByTestId("account-email")).toContainText(`${newEmail} · confirmed`);
  ada.email = newEmail;
});

test("an invitation goes by email, can be sent again, and its newest link joins the workspace", async ({ browser }) => {
  const grace = person("Grace");
  let before = mail.messages.length;
  await adaPage.goto("/members");
  await adaPage.getByLabel("Email (optional)").fill(grace.email);
  await adaPage.getByRole("button", { name: "Send invitation" }).click();
  await expect(adaPage.getByText(`Invitation sent to ${grace.email}`)).toBeVisible();
  const first = await mailedLink(grace.email, "/invite/", before);
  expect(first.message.subject).toBe(`${ada.name} invited you to ${workspace} on Keel`);

  before = mail.messages.length;
  await adaPage
    .getByRole("form", { name: `Send the invitation to ${grace.email} again` })
    .getByRole("button")
    .click();
  const second = await mailedLink(grace.email, "/invite/", before);
  expect(second.link).not.toBe(first.link);

  const gracePage = await newPage(browser);
  await gracePage.goto(first.link);
  await expect(alertOf(gracePage)).toContainText("not valid");
  await gracePage.goto(second.link);
  await expect(gracePage.getByRole("heading", { name: `Join ${workspace}` })).toBeVisible();
  await gracePage.getByLabel("Your name").fill(grace.name);
  await gracePage.getByLabel("Email").fill(grace.email);
  await gracePage.getByLabel("Password").fill(grace.password);
  await gracePage.getByRole("button", { name: "Create account and join" }).click();
  // The mailed invitation proved Grace's address: no separate confirmation before going in.
  await expect(gracePage).toHaveURL(/\/members$/, { timeout: 30_000 });
  expect(await memberEmails(adaPage)).toEqual([ada.email, grace.email].sort());
});
