// Two tenants, an invited member in both, a tenant switch: each user sees only their own
// tenant's members, in the pages and through the API.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { alertOf, createInvitation, memberEmails, person, signIn, signUp, switchTenant } from "./pages/keel";

const alice = person("Alice");
const bob = person("Bob");
const carol = person("Carol");
const alpha = `Alpha ${Date.now().toString(36)}`;
const beta = `Beta ${Date.now().toString(36)}`;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test.describe.configure({ mode: "serial" });

let alicePage: Page;
let bobPage: Page;
let carolPage: Page;

test("sends anonymous visitors to sign-in and refuses the API", async ({ page }) => {
  await page.goto("/members");
  await expect(page).toHaveURL(/\/sign-in/);
  const response = await page.request.get("/api/members");
  expect(response.status()).toBe(401);
});

test("two people sign up, each with their own tenant", async ({ browser }) => {
  alicePage = await newPage(browser);
  bobPage = await newPage(browser);
  await signUp(alicePage, alice, alpha);
  await signUp(bobPage, bob, beta);
  expect(await memberEmails(alicePage)).toEqual([alice.email]);
  expect(await memberEmails(bobPage)).toEqual([bob.email]);
  // Signing in remembered the browser for the sign-in limits (a known-device cookie, script-proof).
  const remembered = (await alicePage.context().cookies()).find((c) => c.name === "keel-known-device");
  expect(remembered).toMatchObject({ httpOnly: true, sameSite: "Lax" });
});

test("a page load renews the session cookie; a router prefetch never sets it, so one answered after a sign-out cannot sign the browser back in", async ({
  baseURL,
}) => {
  const cookie = (await alicePage.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const sessionCookies = (response: Response) => response.headers.getSetCookie().filter((c) => c.includes("authjs.session-token"));
  const load = await fetch(`${baseURL}/members`, { headers: { cookie }, redirect: "manual" });
  expect(load.status).toBe(200);
  expect(sessionCookies(load)).toHaveLength(1);
  // A prefetch as the router sends it (Next.js first answers with the URL carrying its cache-busting _rsc).
  const prefetchHeaders = { cookie, rsc: "1", "next-router-prefetch": "1" };
  const first = await fetch(`${baseURL}/members`, { headers: prefetchHeaders, redirect: "manual" });
  const location = first.headers.get("location");
  const prefetch =
    first.status === 307 && location?.includes("_rsc=") ? await fetch(new URL(location, baseURL), { headers: prefetchHeaders, redirect: "manual" }) : first;
  expect(prefetch.status).toBe(200);
  expect(sessionCookies(prefetch)).toEqual([]);
});

test("an invited person signs up through the link and joins tenant A", async ({ browser }) => {
  const link = await createInvitation(alicePage, "member");
  carolPage = await newPage(browser);
  await carolPage.goto(link);
  await expect(carolPage.getByRole("heading", { name: `Join ${alpha}` })).toBeVisible();
  await carolPage.getByLabel("Your name").fill(carol.name);
  await carolPage.getByLabel("Email").fill(carol.email);
  await carolPage.getByLabel("Password").fill(carol.password);
  await carolPage.getByRole("button", { name: "Create account and join" }).click();
  await expect(carolPage).toHaveURL(/\/members$/);
  await expect(carolPage.getByTestId("active-tenant")).toHaveText(alpha);
  expect(await memberEmails(carolPage)).toEqual([alice.email, carol.email].sort());

  // The link was single-use.
  const stranger = await newPage(browser);
  await stranger.goto(link);
  await expect(alertOf(stranger)).toContainText("already been used");
});

test("a signed-in member accepts an invitation into tenant B and switches between tenants", async () => {
  const link = await createInvitation(bobPage, "admin");
  await carolPage.goto(link);
  await carolPage.getByRole("button", { name: `Join ${beta}` }).click();
  await expect(carolPage).toHaveURL(/\/members$/);
  await expect(carolPage.getByTestId("active-tenant")).toHaveText(beta);
  expect(await memberEmails(carolPage)).toEqual([bob.email, carol.email].sort());

  await switchTenant(carolPage, alpha);
  expect(await memberEmails(carolPage)).toEqual([alice.email, carol.email].sort());
  const api = await carolPage.request.get("/api/members");
  expect(api.status()).toBe(200);
  expect(((await api.json()) as { members: { email: string }[] }).members.map((m) => m.email).sort()).toEqual([alice.email, carol.email].sort());

  await switchTenant(carolPage, beta);
  expect(await memberEmails(carolPage)).toEqual([bob.email, carol.email].sort());
});

test("each user sees only their own tenant's members", async () => {
  expect(await memberEmails(alicePage)).toEqual([alice.email, carol.email].sort());
  expect(await memberEmails(bobPage)).toEqual([bob.email, carol.email].sort());
  const aliceApi = (await (await alicePage.request.get("/api/members")).json()) as { members: { email: string }[] };
  expect(aliceApi.members.map((m) => m.email)).not.toContain(bob.email);
  const bobApi = (await (await bobPage.request.get("/api/members")).json()) as { members: { email: string }[] };
  expect(bobApi.members.map((m) => m.email)).not.toContain(alice.email);
  // Alice has a single tenant, so no switcher is shown to her.
  await expect(alicePage.getByLabel("Workspace", { exact: true })).toHaveCount(0);
});

test("a member cannot see admin pages, and a removed member loses access at once", async () => {
  // Carol is a plain member in Alpha.
  await switchTenant(carolPage, alpha);
  // Usage shows her own calls only; the audit log and the workspace's invoice are not hers to see.
  await carolPage.goto("/usage");
  await expect(carolPage.getByRole("heading", { name: "Your usage" })).toBeVisible();
  await expect(carolPage.getByTestId("usage-table")).toHaveCount(0);
  expect((await carolPage.goto("/audit"))?.status()).toBe(403);
  await expect(alertOf(carolPage)).toContainText("owners and admins only");
  await expect(carolPage.getByRole("link", { name: "Audit log" })).toHaveCount(0);
  expect((await carolPage.request.get(`/api/billing/${new Date().toISOString().slice(0, 7)}/csv`)).status()).toBe(403);

  // Alice removes Carol from Alpha; Carol's next request is refused and she lands on her workspaces.
  await alicePage.goto("/members");
  alicePage.once("dialog", (dialog) => void dialog.accept());
  await alicePage
    .getByRole("form", { name: `Remove ${carol.email}` })
    .getByRole("button", { name: "Remove" })
    .click();
  await expect(alicePage.getByTestId("member-email")).toHaveText([alice.email]);
  expect((await carolPage.request.get("/api/members")).status()).toBe(403);
  await carolPage.goto("/members");
  await expect(carolPage).toHaveURL(/\/workspaces$/);
  await expect(carolPage.getByText(beta)).toBeVisible();
  await expect(carolPage.getByText(alpha)).toHaveCount(0);

  // The last owner can be neither removed nor demoted: Alice has no controls on her own row but "Leave".
  alicePage.once("dialog", (dialog) => void dialog.accept());
  await alicePage.getByRole("button", { name: "Leave workspace" }).click();
  await expect(alertOf(alicePage)).toContainText("at least one owner");
});

test("forms show field-level errors and sign-in never says whether an email exists", async ({ page }) => {
  await page.goto("/sign-up");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account and workspace" }).click();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Enter a valid email address.")).toBeVisible();
  await expect(page.getByText("Use at least 10 characters.")).toBeVisible();
  await expect(page.getByText("Enter your name.")).toBeVisible();

  await signIn(page, { ...alice, password: "wrong password!" });
  const wrongPassword = await alertOf(page).textContent();
  await signIn(page, { name: "x", email: `nobody-${Date.now()}@example.test`, password: "whatever-password" });
  const unknownEmail = await alertOf(page).textContent();
  expect(wrongPassword).toBe("Email or password is incorrect.");
  expect(unknownEmail).toBe(wrongPassword);
});

test("works at phone width without sideways scrolling", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, storageState: await alicePage.context().storageState() });
  const phone = await context.newPage();
  await phone.goto("/members");
  await expect(phone.getByRole("navigation", { name: "Main" })).toBeVisible();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // Keyboard: the skip link is the first stop and the nav is reachable by Tab.
  await phone.keyboard.press("Tab");
  await expect(phone.getByRole("link", { name: "Skip to content" })).toBeFocused();
});
