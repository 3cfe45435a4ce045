// Property-based fuzzing (fast-check) of every form's input and of uploads, on the database the
// tests run on (PostgreSQL with TEST_DATABASE_URL). A server action is `tenantAction(schema, …,
// handler)`: the session guard (which needs a Next.js request), then `schema.safeParse` of the form's
// fields, then the domain function. Here each form's fields (FormData values: strings, fuzzed) go
// through the action's own zod schema exactly as the action parses them, and what passes goes to the
// same domain function the action calls, as the signed-in admin. For every input: parsing never
// throws; the domain function succeeds or refuses with a KeelError (a form error, never the generic
// "something went wrong" of a 500); and a refusal, by the schema or the domain, stores nothing.
// Uploads: POST /api/documents' acceptUpload (after its guard) with fuzzed names, bytes, declared
// lengths and collection ids.
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
import { aiSettingsSchema, updateAiSettings } from "@/lib/ai/ai-settings";
import { rateLimitSettingsSchema, updateRateLimits } from "@/lib/ai/rate-limit-settings";
import { createApiKey } from "@/lib/auth/api-keys";
import { collectionNameSchema, createCollection } from "@/lib/documents/collection-admin";
import { DocumentRejected, DuplicateDocument, UploadRefused } from "@/lib/documents/errors";
import { acceptUpload } from "@/lib/documents/upload";
import { isKeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { createInvitation } from "@/lib/tenancy/invitations";
import { changeMemberRole, removeMember } from "@/lib/tenancy/members";
import {
  apiKeyNameSchema,
  changeRoleSchema,
  createInvitationSchema,
  createWorkspaceSchema,
  memberSchema,
  renameTenantSchema,
  signUpSchema,
} from "@/lib/tenancy/schemas";
import { signUp } from "@/lib/tenancy/sign-up";
import { createWorkspace, renameTenant } from "@/lib/tenancy/tenants";
import { addMember, createTenant, uniqueAddress } from "@/test/fixtures";
import { z as zod } from "zod";

let owner: TenantContext;
const memberIds: string[] = [];

beforeAll(async () => {
  owner = await createTenant("Fuzzed forms");
  for (let i = 0; i < 3; i++) memberIds.push((await addMember(owner, "member")).userId);
});

/** Rows a form may write, as one comparable snapshot (for the workspace, plus users and tenants overall). */
async function stored(): Promise<Record<string, unknown>> {
  const [row] = await withSystem("test: fuzz snapshot", (tx) =>
    rawRows<Record<string, unknown>>(
      tx,
      sql`select (select count(*) from users) as users,
                 (select count(*) from tenants) as tenants,
                 (select name from tenants where id = ${owner.tenantId}) as name,
                 (select count(*) from api_keys where tenant_id = ${owner.tenantId}) as api_keys,
                 (select count(*) from invitations where tenant_id = ${owner.tenantId}) as invitations,
                 (select count(*) from collections where tenant_id = ${owner.tenantId}) as collections,
                 (select count(*) from documents where tenant_id = ${owner.tenantId}) as documents,
                 (select count(*) from memberships where tenant_id = ${owner.tenantId}) as members,
                 (select row_to_json(s)::text from tenant_ai_settings s where tenant_id = ${owner.tenantId}) as ai_settings`,
    ),
  );
  return row!;
}

// --- Field values as a browser (or an attacker with curl) would send them -------------------------

const hostileText = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom("", " ", "__proto__", "constructor", "\u0000", "\u202e\u200b", "x".repeat(5_000), "1e309", "-1", "NaN", "on", "true"),
);
const field = (...valid: fc.Arbitrary<string>[]) => fc.oneof({ weight: 2, arbitrary: fc.oneof(...valid) }, { weight: 1, arbitrary: hostileText });
const number = (min: number, max: number) => fc.integer({ min, max }).map(String);
const uuid = fc.uuid().map(String);
/** One of the workspace's members (made in beforeAll), or any id. */
const memberId = fc.oneof(
  fc.constantFrom(0, 1, 2).map((i) => memberIds[i]!),
  uuid,
);

interface Form {
  name: string;
  schema: z.ZodType;
  fields: fc.Arbitrary<Record<string, string>>;
  /** What the action does with the parsed input, as the workspace's owner. */
  run: (input: never) => Promise<unknown>;
}

const form = <S extends z.ZodType>(
  name: string,
  schema: S,
  fields: fc.Arbitrary<Record<string, string>>,
  run: (input: z.infer<S>) => Promise<unknown>,
): Form => ({
  name,
  schema,
  fields,
  run: run as (input: never) => Promise<unknown>,
});

const forms: Form[] = [
  form(
    "sign up",
    signUpSchema,
    fc.record(
      {
        name: field(fc.constantFrom("Ada", "Ada Lovelace")),
        email: field(fc.stringMatching(/^[a-z][a-z0-9.]{0,20}@[a-z]{1,10}\.test$/)),
        password: field(fc.string({ minLength: 10, maxLength: 40 })),
        workspaceName: field(fc.string({ minLength: 2, maxLength: 40 })),
      },
      { requiredKeys: [] },
    ),
    (input) => signUp(input, { clientAddress: uniqueAddress() }),
  ),
  form(
    "new workspace",
    createWorkspaceSchema,
    fc.record({ workspaceName: field(fc.string({ minLength: 2, maxLength: 40 })) }, { requiredKeys: [] }),
    ({ workspaceName }) => createWorkspace(owner.userId, workspaceName),
  ),
  form("rename workspace", renameTenantSchema, fc.record({ name: field(fc.string({ minLength: 2, maxLength: 40 })) }, { requiredKeys: [] }), ({ name }) =>
    renameTenant(owner, name),
  ),
  form("create API key", apiKeyNameSchema, fc.record({ name: field(fc.string({ minLength: 1, maxLength: 30 })) }, { requiredKeys: [] }), ({ name }) =>
    createApiKey(owner, name),
  ),
  form(
    "invite",
    createInvitationSchema,
    fc.record({ role: field(fc.constantFrom("admin", "member", "owner")), expiresInDays: field(number(-3, 40)) }, { requiredKeys: [] }),
    (input) => createInvitation(owner, input),
  ),
  form(
    "change a member's role",
    changeRoleSchema,
    fc.record({ userId: field(memberId), role: field(fc.constantFrom("admin", "member")) }, { requiredKeys: [] }),
    ({ userId, role }) => changeMemberRole(owner, userId, role),
  ),
  form("remove a member", memberSchema, fc.record({ userId: field(memberId) }, { requiredKeys: [] }), ({ userId }) => removeMember(owner, userId)),
  form(
    "new collection",
    zod.object({ name: collectionNameSchema }),
    fc.record({ name: field(fc.string({ minLength: 1, maxLength: 40 })) }, { requiredKeys: [] }),
    ({ name }) => createCollection(owner, name),
  ),
  form(
    "AI limits",
    aiSettingsSchema,
    fc.record(
      {
        monthlyTokenLimit: field(number(0, 1e9), fc.constant("")),
        monthlyUsdLimit: field(number(0, 1000), fc.constant("")),
        memberMonthlyTokenCap: field(number(0, 1e9), fc.constant("")),
        softLimitPercent: field(number(1, 100), number(0, 120)),
        downgradeAtSoftLimit: field(fc.constantFrom("on", "")),
        warningWebhookUrl: fc.oneof(
          { weight: 3, arbitrary: fc.constant("") },
          { weight: 1, arbitrary: field(fc.webUrl(), fc.constantFrom("http://127.0.0.1/hook", "https://10.0.0.1/x", "https://hooks.example.test/keel")) },
        ),
      },
      // The form always sends the percentage (a number field with a default).
      { requiredKeys: ["softLimitPercent"] },
    ),
    (input) => updateAiSettings(owner, input),
  ),
  form(
    "API rate limits",
    rateLimitSettingsSchema,
    fc.record(
      {
        keyRequestsPerMinute: field(number(-1, 1e6), fc.constant("")),
        keyTokensPerMinute: field(number(-1, 1e6), fc.constant("")),
        workspaceRequestsPerMinute: field(number(-1, 1e6), fc.constant("")),
        workspaceTokensPerMinute: field(number(-1, 1e6), fc.constant("")),
      },
      { requiredKeys: [] },
    ),
    (input) => updateRateLimits(owner, input),
  ),
];

const runs = { numRuns: Number(process.env.FUZZ_RUNS ?? 40), endOnFailure: true };

describe("fuzzed form inputs: the action's schema, then its domain function; refusals store nothing", () => {
  it.each(forms.map((f) => [f.name, f] as const))(
    "%s",
    async (_name, { schema, fields, run }) => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(fields, fc.dictionary(fc.string({ maxLength: 12 }), hostileText, { maxKeys: 2 }), async (values, extra) => {
          // Extra fields a crafted request may add ($ACTION_ ids, __proto__…) come first, as FormData keeps order.
          const formData = new FormData();
          for (const [key, value] of Object.entries({ ...extra, ...values })) formData.append(key, value);
          const before = await stored();
          const parsed = schema.safeParse(Object.fromEntries(formData));
          if (!parsed.success) {
            expect(await stored()).toEqual(before);
            return;
          }
          accepted++;
          try {
            await run(parsed.data as never);
          } catch (error) {
            expect(isKeelError(error), `not a form error: ${String(error)}`).toBe(true);
            expect(await stored(), "refused, yet something was stored").toEqual(before);
          }
        }),
        runs,
      );
      expect(accepted, "some fuzzed inputs must get through to the domain function").toBeGreaterThan(0);
    },
    60_000,
  );
});

describe("fuzzed uploads (POST /api/documents after its guard)", () => {
  it("stores a document or refuses it with a reason, never anything half-stored", async () => {
    const limits = { maxFileBytes: 4_096, tenantStorageBytes: 1024 * 1024 };
    const name = fc.oneof(
      fc.constantFrom("notes.md", "a.txt", "report.pdf", "x.docx", "page.html", "__proto__", "..\\..\\etc\\passwd", "", "\u202egpj.exe"),
      fc.string({ maxLength: 300 }),
    );
    const bytes = fc.oneof(
      fc.string({ minLength: 1, maxLength: 200 }).map((text) => new TextEncoder().encode(`# Note\n\n${text}`)),
      fc.uint8Array({ maxLength: 600 }),
      fc.constantFrom(
        new Uint8Array(0),
        new Uint8Array(5_000).fill(65),
        new TextEncoder().encode("%PDF-1.7\n%%EOF"),
        new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]),
      ),
    );
    let accepted = 0;
    const refusals = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        name,
        bytes,
        fc.option(uuid, { nil: null }),
        fc.boolean(),
        fc.option(fc.integer({ min: -1, max: 10_000 }), { nil: null }),
        async (fileName, content, collectionId, streamed, declared) => {
          const before = await stored();
          const body = streamed
            ? new ReadableStream<Uint8Array>({
                start(controller) {
                  controller.enqueue(content);
                  controller.close();
                },
              })
            : content;
          try {
            await acceptUpload(owner, { fileName, bytes: body, collectionId, declaredBytes: declared }, { limits });
            accepted++;
          } catch (error) {
            const known = error instanceof DocumentRejected || error instanceof DuplicateDocument || error instanceof UploadRefused || isKeelError(error);
            expect(known, `not a refusal with a reason: ${String(error)}`).toBe(true);
            const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
            refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
            expect(await stored(), "refused, yet something was stored").toEqual(before);
          }
        },
      ),
      // A plain note first, so the run always tries one upload that must be stored.
      { ...runs, examples: [["notes.md", new TextEncoder().encode("# Note\n\nA plain note."), null, false, null]] },
    );
    expect(accepted, `every upload was refused: ${JSON.stringify([...refusals])}`).toBeGreaterThan(0);
  }, 120_000);
});
