// Single sign-on end to end (issue 19.4): Chromium against a production build on its own port,
// signing in through Auth.js against a real OpenID Provider in this process (oidc-provider on
// loopback, test/oidc-test-provider.ts), with mail over SMTP to test/mail-catcher.ts. It walks: a
// new person signs in with SSO and creates a workspace; an account with a confirmed address is
// linked; an unconfirmed account, and an address the provider does not vouch for, are refused;
// an admin requires SSO (and a domain), after which a password session can neither open that
// workspace nor switch into it, until it signs in with SSO.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { startMailCatcher, type MailCatcher } from "../test/mail-catcher";
import { startOidcProvider, type OidcTestProvider } from "../test/oidc-test-provider";
import { alertOf, createInvitation, person, signUp, type Person } from "./pages/keel";
import { startOwnServer } from "./pages/own-server";
import { ownServerPort } from "./pages/ports";

test.describe.configure({ mode: "serial" });

const port = ownServerPort("sso");
// localhost, not 127.0.0.1: Next.js presents a loopback address as "localhost" to route handlers,
// so Auth.js's callback would name a redirect URI other than the one its sign-in sent.
const origin = `http://localhost:${port}`;
test.use({ baseURL: origin });

const providerName = "Acme SSO";
const ssoButton = `Sign in with ${providerName}`;
const ada = person("Ada");
const adaWorkspace = "Ada Works";
let mail: MailCatcher;
let idp: OidcTestProvider;
let cleanUp: () => Promise<void>;
let adaSsoPage: Page;

async function startServer(): Promise<void> {
  mail = await startMailCatcher();
  idp = await startOidcProvider({ redirectUri: `${origin}/api/auth/callback/oidc` });
  const server = await startOwnServer({
    name: "sso",
    port,
    origin,
    env: {
      // Accounts may exist unconfirmed (the refusal case); confirmation links go over SMTP.
      KEEL_REQUIRE_EMAIL_VERIFICATION: "false",
      SMTP_URL: mail.url,
      SMTP_FROM: "Keel <keel@e2e.test>",
      KEEL_OIDC_ISSUER: idp.issuer,
      KEEL_OIDC_CLIENT_ID: idp.clientId,
      KEEL_OIDC_CLIENT_SECRET: idp.clientSecret,
      KEEL_OIDC_NAME: providerName,
      KEEL_MAIL_OUTBOX: undefined,
      SMTP_HOST: undefined,
    },
    // Warnings and errors (pino levels 40 and up) explain a failed sign-in: show them.
    onLine: (line) => {
      if (/"level":[4-6]0/.test(line)) process.stderr.write(`[sso server] ${line}\n`);
    },
  });
  cleanUp = async () => {
    await server.stop();
    await mail.close();
    await idp.close();
  };
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  await startServer();
});

test.afterAll(async () => {
  await cleanUp?.();
});

/** A browser of its own: the provider remembers who signed in to it, per browser. */
async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

/** Clicks "Sign in with Acme SSO" (on whatever Keel page shows it) and signs in at the provider as `login`. */
async function signInWithSso(page: Page, login: string): Promise<void> {
  await page.getByRole("button", { name: ssoButton }).click();
  await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/interaction/`), { timeout: 30_000 });
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password: the test provider does not check it");
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.origin === origin, { timeout: 30_000 });
}

async function passwordSignIn(page: Page, who: Person): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function confirmEmail(page: Page, who: Person): Promise<void> {
  const message = await mail.waitFor((m) => m.to === who.email && m.links.some((l) => l.startsWith(`${origin}/verify-email/`)), 30_000);
  await page.goto(message.links.find((l) => l.startsWith(`${origin}/verify-email/`))!);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page).toHaveURL(/\/sign-in\?verified=1$/);
}

test("a new person signs in with SSO, gets an account, and creates a workspace", async ({ browser }) => {
  const nia = person("Nia");
  idp.accounts.set("nia", { email: nia.email, emailVerified: true, name: "Nia Newcomer" });
  const page = await newPage(browser);
  await page.goto("/sign-in");
  await signInWithSso(page, "nia");
  // No workspace yet: where one is created or an invitation opened.
  await expect(page).toHaveURL(/\/workspaces$/, { timeout: 30_000 });
  await expect(page.getByText("You are not a member of any workspace right now.")).toBeVisible();
  await page.getByLabel("Workspace name").fill("Nia Works");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/members$/, { timeout: 30_000 });
  await expect(page.getByTestId("active-tenant")).toHaveText("Nia Works");
});

test("SSO links to an existing account once its address is confirmed, and only then", async ({ browser }) => {
  const adaPasswordPage = await newPage(browser);
  await signUp(adaPasswordPage, ada, adaWorkspace);

  // Not confirmed yet: refused, with the reason, and nothing linked.
  idp.accounts.set("ada", { email: ada.email, emailVerified: true, name: "Ada" });
  const early = await newPage(browser);
  await early.goto("/sign-in");
  await signInWithSso(early, "ada");
  await expect(early).toHaveURL(/\/sign-in\?sso=account_email_unverified$/);
  await expect(early.getByTestId("sso-problem")).toContainText("has not confirmed its address");

  // Someone else's provider account claims Ada's address without the provider vouching for it.
  idp.accounts.set("mallory", { email: ada.email, emailVerified: false, name: "Mallory" });
  const mallory = await newPage(browser);
  await mallory.goto("/sign-in");
  await signInWithSso(mallory, "mallory");
  await expect(mallory).toHaveURL(/\/sign-in\?sso=provider_email_unverified$/);
  await expect(mallory.getByTestId("sso-problem")).toContainText("has not confirmed your email address");

  await confirmEmail(adaPasswordPage, ada);
  adaSsoPage = await newPage(browser);
  await adaSsoPage.goto("/sign-in");
  await signInWithSso(adaSsoPage, "ada");
  await expect(adaSsoPage).toHaveURL(/\/chat$/, { timeout: 30_000 });
  await expect(adaSsoPage.getByTestId("active-tenant")).toHaveText(adaWorkspace);
});

test("an admin requires SSO at a domain; a password session can then neither open nor switch into the workspace", async ({ browser }) => {
  await adaSsoPage.goto("/settings");
  const policy = adaSsoPage.locator("section", { has: adaSsoPage.getByRole("heading", { name: "Sign-in", exact: true }) });
  await policy.getByLabel(`Members must sign in through ${providerName}`).check();
  await policy.getByLabel("Only addresses at this domain (optional)").fill("example.test");
  await policy.getByRole("button", { name: "Save sign-in policy" }).click();
  await expect(policy.getByRole("status")).toContainText("Members must now sign in with single sign-on and an address at example.test.");
  // The SSO session itself still works.
  await adaSsoPage.goto("/chat");
  await expect(adaSsoPage.getByTestId("active-tenant")).toHaveText(adaWorkspace);

  // A password sign-in lands on the page that says why, not in the workspace.
  const passwordPage = await newPage(browser);
  await passwordSignIn(passwordPage, ada);
  await expect(passwordPage).toHaveURL(/\/sso-required$/, { timeout: 30_000 });
  await expect(passwordPage.getByTestId("sso-required-message")).toHaveText(
    `This workspace requires signing in through ${providerName} with an address at example.test. Sign in with ${providerName} to open it.`,
  );
  // A server action of that workspace refuses it too (Settings is one; the guard answers every entry point alike).
  await passwordPage.goto("/settings");
  await expect(passwordPage).toHaveURL(/\/sso-required$/);

  // Another workspace opens; switching back into the SSO one is refused with the reason.
  await passwordPage.getByRole("link", { name: "Open another workspace" }).click();
  await passwordPage.getByLabel("Workspace name").fill("Ada Side");
  await passwordPage.getByRole("button", { name: "Create workspace" }).click();
  await expect(passwordPage).toHaveURL(/\/members$/, { timeout: 30_000 });
  await passwordPage.goto("/workspaces");
  await passwordPage
    .getByRole("form", { name: `Open ${adaWorkspace}` })
    .getByRole("button", { name: "Open" })
    .click();
  await expect(alertOf(passwordPage).first()).toContainText(`This workspace requires signing in through ${providerName}`);
  await passwordPage.goto("/chat");
  await expect(passwordPage.getByTestId("active-tenant")).toHaveText("Ada Side");

  // Signing in with SSO from the refusal page opens it.
  const again = await newPage(browser);
  await passwordSignIn(again, ada);
  await expect(again).toHaveURL(/\/sso-required$/, { timeout: 30_000 });
  await signInWithSso(again, "ada");
  await expect(again).toHaveURL(/\/chat$/, { timeout: 30_000 });
  await expect(again.getByTestId("active-tenant")).toHaveText(adaWorkspace);
});

test("a member at another domain is refused by the domain rule", async ({ browser }) => {
  const eve = person("Eve");
  idp.accounts.set("eve", { email: eve.email.replace("@example.test", "@elsewhere.test"), emailVerified: true, name: "Eve" });
  // Ada invites Eve by link; Eve signs in with SSO (a new account at elsewhere.test) and accepts.
  const link = await createInvitation(adaSsoPage, "member");
  const page = await newPage(browser);
  await page.goto(`/sign-in?callbackUrl=${encodeURIComponent(new URL(link).pathname)}`);
  await signInWithSso(page, "eve");
  await expect(page).toHaveURL(/\/invite\//, { timeout: 30_000 });
  await page.getByRole("button", { name: `Join ${adaWorkspace}` }).click();
  await expect(page).toHaveURL(/\/sso-required$/, { timeout: 30_000 });
  await expect(page.getByTestId("sso-required-message")).toContainText("with an address at example.test");
});
