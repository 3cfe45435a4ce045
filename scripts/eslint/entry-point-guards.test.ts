// The guard-builder lint rule against the shapes an unguarded entry point takes, and against every
// real page, route and action in app/ (which must all pass).
import path from "node:path";
import { ESLint, RuleTester } from "eslint";
import { describe, expect, it } from "vitest";
import { entryPointGuards } from "./entry-point-guards.mjs";

RuleTester.describe = describe;
RuleTester.it = it;
const tester = new RuleTester({ languageOptions: { ecmaVersion: 2024, sourceType: "module" } });

tester.run("entry-point-guards", entryPointGuards, {
  valid: [
    { filename: "app/(app)/usage/page.tsx", code: `export default tenantPage({ role: "member" }, async (ctx) => null);` },
    { filename: "app/(auth)/sign-in/page.tsx", code: `export const metadata = {}; export default publicPage(async () => null);` },
    { filename: "app/api/members/route.ts", code: `export const dynamic = "force-dynamic"; export const GET = withTenantRoute(handler, { role: "admin" });` },
    { filename: "app/api/v1/models/route.ts", code: `export const GET = withApiKey(handler);` },
    { filename: "app/(app)/chat/actions.ts", code: `"use server"; export const askAction = chatAction({ role: "member", failure: "x" }, ask);` },
    // Not an entry point: a component or a helper module beside one.
    { filename: "app/(app)/chat/layout.tsx", code: `export default function Layout() { return null; }` },
    { filename: "components/ui/form.tsx", code: `"use server"; export async function anything() {}` },
  ],
  invalid: [
    { filename: "app/(app)/usage/page.tsx", code: `export default async function Page() { return null; }`, errors: [{ messageId: "page" }] },
    { filename: "app/(app)/usage/page.tsx", code: `export default requirePageTenant(Page);`, errors: [{ messageId: "page" }] },
    { filename: "app/api/members/route.ts", code: `export async function GET() { return new Response(); }`, errors: [{ messageId: "route" }] },
    { filename: "app/api/members/route.ts", code: `export const POST = async () => new Response();`, errors: [{ messageId: "route" }] },
    { filename: "app/api/auth/route.ts", code: `export const { GET, POST } = handlers;`, errors: [{ messageId: "route" }] },
    { filename: "app/api/auth/route.ts", code: `const GET = handlers.GET; export { GET };`, errors: [{ messageId: "route" }] },
    { filename: "app/(app)/actions.ts", code: `"use server"; export async function signOutAction() {}`, errors: [{ messageId: "action" }] },
    { filename: "app/(app)/actions.ts", code: `"use server"; export const leak = async () => 1;`, errors: [{ messageId: "action" }] },
    {
      filename: "app/(app)/actions.ts",
      code: `"use server"; const a = tenantAction(s, { role: "member" }, f); export { a };`,
      errors: [{ messageId: "action" }],
    },
  ],
});

describe("the lint configuration", () => {
  it("applies the rule to every page, route and action of app/, and they all pass it", { timeout: 120_000 }, async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const eslint = new ESLint({ cwd: root, overrideConfig: { rules: {} } });
    const results = await eslint.lintFiles(["app/**/page.tsx", "app/**/route.ts", "app/**/actions.ts"]);
    const guardProblems = results.flatMap((r) => r.messages.filter((m) => m.ruleId === "keel/entry-point-guards").map((m) => `${r.filePath}: ${m.message}`));
    expect(results.length).toBeGreaterThan(40);
    expect(guardProblems).toEqual([]);
  });
});
