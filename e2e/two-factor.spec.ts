// Two factors, end to end in Chromium against a production build on its own port, served as
// http://localhost (a passkey's relying party must be a host name, never an IP address): an
// authenticator app set up from the secret on the page (codes computed here with otpauth), sign-in
// with password + code and with a recovery code (spent after one use), a passkey registered with a
// virtual authenticator (Chrome DevTools' WebAuthn domain) that then signs in with nothing typed,
// and a workspace requiring two factors sending a member without one to set one up.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { Secret, TOTP } from "otpauth";
import { alertOf, createInvitation, person, signUp } from "./pages/keel";
import { startOwnServer } from "./pages/own-server";
import { ownServerPort } from "./pages/ports";

test.describe.configure({ mode: "serial" });

const port = ownServerPort("twoFactor");
const origin = `http://localhost:${port}`;
test.use({ baseURL: origin });

const ada = person("Ada");
const bob = person("Bob");
const workspace = "Two Factor Works";
let cleanUp: () => Promise<void>;
let adaPage: Page;
let totpSecret = "";
let recoveryCodes: string[] = [];

async function startServer(): Promise<void> {
  const server = await startOwnServer({
    name: "two-factor",
    port,
    origin,
    env: { KEEL_REQUIRE_EMAIL_VERIFICATION: "false", KEEL_MAIL_OUTBOX: "1", SMTP_URL: undefined, SMTP_HOST: undefined },
  });
  cleanUp = () => server.stop();
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  await startServer();
});

test.afterAll(async () => {
  await cleanUp?.();
});

/** The app's code for a moment `offsetSeconds` from now (a later step than any used yet). */
function appCode(offsetSeconds = 0): string {
  return new TOTP({ secret: Secret.fromBase32(totpSecret), digits: 6, period: 30, algorithm: "SHA1" }).generate({
    timestamp: Date.now() + offsetSeconds * 1000,
  });
}

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

async function signOut(page: Page): Promise<void> {
  await page.goto("/chat");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
}

async function passwordStep(page: Page): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(ada.email);
  await page.getByLabel("Password").fill(ada.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/two-factor/, { timeout: 20_000 });
  await expect(page.getByRole("heading", { name: "Two-step verification" })).toBeVisible();
}

async function answerWith(page: Page, code: string): Promise<void> {
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
}

test("sets up an authenticator app from the QR code's secret and gets ten recovery codes once", async ({ browser }) => {
  adaPage = await newPage(browser);
  await signUp(adaPage, ada, workspace);
  await adaPage.goto("/account");
  await expect(adaPage.getByTestId("two-factor-status")).toContainText("Off");
  await adaPage.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(adaPage.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  totpSecret = (await adaPage.getByTestId("totp-secret").textContent())!.trim();
  expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);

  await adaPage.getByLabel("Code from your app").fill("000000");
  await adaPage.getByRole("button", { name: "Turn on" }).click();
  await expect(alertOf(adaPage)).toContainText("did not match");
  await adaPage.getByLabel("Code from your app").fill(appCode());
  await adaPage.getByRole("button", { name: "Turn on" }).click();
  const codes = adaPage.getByTestId("recovery-codes").getByRole("listitem");
  await expect(codes).toHaveCount(10);
  recoveryCodes = (await codes.allTextContents()).map((c) => c.trim());
  await adaPage.getByRole("button", { name: "I saved them" }).click();
  await expect(adaPage.getByTestId("two-factor-status")).toContainText("On");
  await expect(adaPage.getByTestId("recovery-codes")).toHaveCount(0);
  await expect(adaPage.getByTestId("recovery-codes-left")).toContainText("10 of 10");
});

test("signs in with the password and then a code from the app; the password alone is not enough", async () => {
  await signOut(adaPage);
  await passwordStep(adaPage);
  // The attempt is named by an HttpOnly cookie, and nothing is signed in yet: the workspace still
  // sends the browser to sign in. (A prefetch answered after the sign-out can put the old, revoked
  // session's cookie back; each process refuses it once its 2-second session cache has run out.)
  const step = (await adaPage.context().cookies()).find((c) => c.name === "keel-second-step");
  expect(step).toMatchObject({ httpOnly: true, sameSite: "Lax" });
  await expect(async () => {
    await adaPage.goto("/chat");
    await expect(adaPage).toHaveURL(/\/sign-in/, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await passwordStep(adaPage);
  await answerWith(adaPage, "123456");
  await expect(alertOf(adaPage).first()).toContainText("not right");
  // The next step's code: the one that turned the app on may still be current, and is spent.
  await answerWith(adaPage, appCode(30));
  await expect(adaPage).toHaveURL(/\/chat/, { timeout: 20_000 });
  await expect(adaPage.getByTestId("active-tenant")).toHaveText(workspace);
});

test("signs in with a recovery code, which is then spent", async () => {
  await signOut(adaPage);
  await passwordStep(adaPage);
  await answerWith(adaPage, recoveryCodes[0]!);
  await expect(adaPage).toHaveURL(/\/chat/, { timeout: 20_000 });

  await signOut(adaPage);
  await passwordStep(adaPage);
  await answerWith(adaPage, recoveryCodes[0]!);
  await expect(alertOf(adaPage).first()).toContainText("already used");
  await answerWith(adaPage, recoveryCodes[1]!);
  await expect(adaPage).toHaveURL(/\/chat/, { timeout: 20_000 });
  await adaPage.goto("/account");
  await expect(adaPage.getByTestId("recovery-codes-left")).toContainText("8 of 10");
});

test("registers a passkey on a virtual authenticator, signs in with it alone, and answers the second step with it", async () => {
  const cdp = await adaPage.context().newCDPSession(adaPage);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await adaPage.goto("/account");
  await adaPage.getByLabel("Passkey name").fill("Test laptop");
  await adaPage.getByRole("button", { name: "Add a passkey" }).click();
  await expect(adaPage.getByTestId("passkey-list")).toContainText("Test laptop", { timeout: 20_000 });

  await signOut(adaPage);
  await adaPage.getByRole("button", { name: "Use a passkey" }).click();
  await expect(adaPage).toHaveURL(/\/chat/, { timeout: 20_000 });
  await expect(adaPage.getByTestId("active-tenant")).toHaveText(workspace);
  await adaPage.goto("/account");
  await expect(adaPage.getByTestId("passkey-list")).toContainText("last used");

  // The same passkey answers the second step after the password.
  await signOut(adaPage);
  await passwordStep(adaPage);
  await adaPage.getByRole("button", { name: "Use a passkey" }).click();
  await expect(adaPage).toHaveURL(/\/chat/, { timeout: 20_000 });
  await expect(adaPage.getByTestId("active-tenant")).toHaveText(workspace);
});

test("a workspace that requires two factors sends a member without one to set one up first", async ({ browser }) => {
  await adaPage.goto("/settings");
  await adaPage.getByRole("button", { name: "Require two-factor authentication" }).click();
  await expect(adaPage.getByTestId("two-factor-policy")).toContainText("is required");

  const link = await createInvitation(adaPage, "member");
  const bobPage = await newPage(browser);
  await bobPage.goto(link);
  await bobPage.getByLabel("Your name").fill(bob.name);
  await bobPage.getByLabel("Email").fill(bob.email);
  await bobPage.getByLabel("Password").fill(bob.password);
  await bobPage.getByRole("button", { name: "Create account and join" }).click();
  await expect(bobPage).toHaveURL(/\/two-factor-setup/, { timeout: 20_000 });
  await expect(bobPage.getByTestId("two-factor-required")).toContainText("requires two-factor authentication");
  // Every page of the workspace, and its API, refuse until then.
  await bobPage.goto("/documents");
  await expect(bobPage).toHaveURL(/\/two-factor-setup/);
  expect((await bobPage.request.get("/api/members")).status()).toBe(403);

  await bobPage.getByRole("button", { name: "Set up an authenticator app" }).click();
  const bobSecret = (await bobPage.getByTestId("totp-secret").textContent())!.trim();
  await bobPage.getByLabel("Code from your app").fill(new TOTP({ secret: Secret.fromBase32(bobSecret) }).generate());
  await bobPage.getByRole("button", { name: "Turn on" }).click();
  await expect(bobPage.getByTestId("recovery-codes").getByRole("listitem")).toHaveCount(10);
  await bobPage.getByRole("button", { name: "I saved them" }).click();
  await bobPage.getByRole("link", { name: "Continue to the workspace" }).click();
  await expect(bobPage).toHaveURL(/\/chat/);
  await expect(bobPage.getByTestId("active-tenant")).toHaveText(workspace);
});
