// Property-based fuzzing (fast-check) of the route handlers in app/api that need a signed-in
// session or take no body, against the production build (PostgreSQL when TEST_DATABASE_URL is set):
// path parameters, query strings and headers as an attacker would send them, signed in and not.
// Never a 500; a refusal is a 4xx. (/api/v1 and uploads are fuzzed in test/fuzz/ with real Requests.)
import { expect, test, type APIRequestContext } from "@playwright/test";
import fc from "fast-check";
import { person, signUp } from "./pages/keel";

let signedIn: APIRequestContext;
let anonymous: APIRequestContext;

test.beforeAll(async ({ browser, playwright, baseURL }) => {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, person("Fuzzy"), `Fuzz ${Date.now().toString(36)}`);
  signedIn = page.context().request;
  anonymous = await playwright.request.newContext({ baseURL });
});

const segment = fc.oneof(
  fc.uuid().map(String),
  fc.constantFrom("2026-12", "1999-01", "0000-00", "9999-99", "__proto__", "..", "%00", "%2e%2e%2f", "x".repeat(2_000), "'; drop table users; --"),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);
const query = fc.dictionary(fc.constantFrom("collectionId", "after", "since", "cursor", "x", "__proto__"), fc.string({ maxLength: 60 }), { maxKeys: 3 });
const route = fc.oneof(
  segment.map((id) => `/api/documents/${id}/original`),
  segment.map((id) => `/api/documents/${id}/preview`),
  segment.map((period) => `/api/billing/${period}/csv`),
  fc.constant("/api/members"),
  fc.constant("/api/health"),
  fc.constant("/api/ready"),
  fc.constant("/api/inngest"),
);

test("app/api routes: fuzzed paths, queries and methods never answer 500", async () => {
  test.setTimeout(120_000);
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      route,
      query,
      fc.boolean(),
      fc.oneof({ weight: 4, arbitrary: fc.constant("GET") }, fc.constantFrom("POST", "PUT")),
      async (path, params, withSession, method) => {
        const client = withSession ? signedIn : anonymous;
        const url = `${path}?${new URLSearchParams(params).toString()}`;
        const response =
          method === "GET"
            ? await client.get(url, { maxRedirects: 0 })
            : await client.fetch(url, { method, data: JSON.stringify({ event: params }), headers: { "content-type": "application/json" }, maxRedirects: 0 });
        statuses.set(response.status(), (statuses.get(response.status()) ?? 0) + 1);
        expect(response.status(), `${method} ${url}: ${(await response.text()).slice(0, 200)}`).toBeLessThan(500);
      },
    ),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 60), endOnFailure: true },
  );
  console.log(`fuzzed app/api routes: ${JSON.stringify(Object.fromEntries(statuses))}`);
});

test("the live-updates stream refuses fuzzed queries without a session", async () => {
  await fc.assert(
    fc.asyncProperty(query, async (params) => {
      const url = `/api/live?${new URLSearchParams(params).toString()}`;
      expect((await anonymous.get(url, { maxRedirects: 0 })).status()).toBeLessThan(500);
    }),
    { numRuns: 15, endOnFailure: true },
  );
});
