// Inside a workspace, re-analyse, cancel, move and delete of a document belong to its uploader and
// to admins/owners; another member is refused with 403 and nothing changes. The work is billed to
// whoever asked for it: an admin's re-analysis is metered to the admin, not the uploader.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getGateway } from "@/lib/ai";
import { isKeelError } from "@/lib/errors";
import { addMember, createTenant } from "@/test/fixtures";
import { documentState, runAnalysis, usageOf } from "@/test/documents-harness";
import { createCollection, moveDocument } from "./collection-admin";
import { assertMayManageDocument, mayManageDocument } from "./document-permissions";
import { cancelAnalysis, deleteDocument, requestReanalysis } from "./documents";
import { acceptUpload } from "./upload";

type Person = Awaited<ReturnType<typeof createTenant>>;
let owner: Person;
let admin: Person;
let uploader: Person;
let member: Person;
let outsider: Person;

const text = (s: string) => new TextEncoder().encode(s);
const body = (topic: string) =>
  `# ${topic}\n\n${Array.from({ length: 12 }, (_, i) => `Paragraph ${i} on ${topic}: the crews log each inspection and its findings.`).join("\n\n")}\n`;

async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isKeelError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, status: error.status, message: error.message };
}

async function uploadBy(person: Person, name: string) {
  return acceptUpload(person, { fileName: name, bytes: text(body(name)), collectionId: null });
}

beforeAll(async () => {
  owner = await createTenant("Permissions workspace");
  admin = await addMember(owner, "admin");
  uploader = await addMember(owner, "member");
  member = await addMember(owner, "member");
  outsider = await createTenant("Another workspace");
});
afterAll(async () => {
  await getGateway().flush();
});

describe("who may manage a document", () => {
  it("answers for the uploader, admins and owners, and no other member", () => {
    const document = { uploadedBy: uploader.userId };
    expect(mayManageDocument(uploader, document)).toBe(true);
    expect(mayManageDocument(admin, document)).toBe(true);
    expect(mayManageDocument(owner, document)).toBe(true);
    expect(mayManageDocument(member, document)).toBe(false);
    // An uploader whose account is gone leaves the document to admins.
    expect(mayManageDocument(member, { uploadedBy: null })).toBe(false);
    expect(mayManageDocument(admin, { uploadedBy: null })).toBe(true);
    expect(() => assertMayManageDocument(member, document, "reanalyse")).toThrow("can re-analyse it");
  });

  it("refuses another member's re-analyse, cancel, move and delete with 403, and changes nothing", async () => {
    const { document, request } = await uploadBy(uploader, "owned-by-uploader.md");
    // Queued (not yet run): cancel is possible in principle, so a refusal is about the person.
    const cancel = await refusal(cancelAnalysis(member, document.id));
    expect(cancel).toEqual({ code: "forbidden", status: 403, message: "Only the person who uploaded this document, or an admin, can cancel its analysis." });
    await runAnalysis(request);
    const before = await documentState(document.id);
    expect(before.document?.status).toBe("ready");

    expect(await refusal(requestReanalysis(member, document.id))).toMatchObject({ status: 403, message: expect.stringContaining("re-analyse") });
    expect(await refusal(deleteDocument(member, document.id))).toMatchObject({ status: 403, message: expect.stringContaining("delete") });
    const archive = await createCollection(owner, "Archive");
    expect(await refusal(moveDocument(member, document.id, archive.id))).toMatchObject({ status: 403, message: expect.stringContaining("move") });

    const after = await documentState(document.id);
    expect(after.document).toMatchObject({ version: before.document!.version, status: "ready", collectionId: before.document!.collectionId });
    expect(after.jobs).toHaveLength(before.jobs.length);
  });

  it("lets the uploader and an admin re-analyse and cancel, and the uploader delete", async () => {
    const { document, request } = await uploadBy(uploader, "managed.md");
    await runAnalysis(request);
    const byUploader = await requestReanalysis(uploader, document.id);
    await cancelAnalysis(uploader, document.id);
    const byAdmin = await requestReanalysis(admin, document.id);
    expect(byAdmin.version).toBe(byUploader.version + 1);
    await cancelAnalysis(admin, document.id);
    await deleteDocument(uploader, document.id);
    expect((await documentState(document.id)).document).toBeUndefined();
  });

  it("lets an owner delete a member's document, and never reaches another workspace's", async () => {
    const { document } = await uploadBy(uploader, "for-the-owner.md");
    // Another workspace's owner: the document does not exist for them (404, not 403).
    expect(await refusal(deleteDocument(outsider, document.id))).toMatchObject({ code: "not_found", status: 404 });
    await deleteDocument(owner, document.id);
    expect((await documentState(document.id)).document).toBeUndefined();
  });
});

describe("billing a document's work", () => {
  it("meters the upload's analysis to the uploader and an admin's re-analysis to the admin", async () => {
    const { document, request } = await uploadBy(uploader, "billed.md");
    expect((await runAnalysis(request)).error).toBeUndefined();
    await getGateway().flush();
    const firstRun = (await usageOf(owner.tenantId)).filter((e) => e.feature.startsWith("document-"));
    expect(firstRun.length).toBeGreaterThan(0);
    expect(new Set(firstRun.map((e) => e.userId))).toEqual(new Set([uploader.userId]));

    const reanalysis = await requestReanalysis(admin, document.id);
    expect((await runAnalysis(reanalysis)).error).toBeUndefined();
    await getGateway().flush();
    const seen = new Set(firstRun.map((e) => e.id));
    const secondRun = (await usageOf(owner.tenantId)).filter((e) => e.feature.startsWith("document-") && !seen.has(e.id));
    expect(secondRun.length).toBeGreaterThan(0);
    expect(new Set(secondRun.map((e) => e.userId))).toEqual(new Set([admin.userId]));
    expect((await documentState(document.id)).jobs.find((j) => j.id === reanalysis.jobId)?.createdBy).toBe(admin.userId);
  });
});
