// The same content twice in one collection is refused with the document that holds it; the same
// content in another collection, in another tenant, or after the first copy was deleted is not.
import { beforeAll, describe, expect, it } from "vitest";
import { getBlobStore } from "@/lib/storage";
import { createTenant } from "@/test/fixtures";
import { createCollection } from "./collection-admin";
import { deleteDocument, listDocuments } from "./documents";
import { acceptUpload } from "./upload";
import { DuplicateDocument } from "./errors";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;
let stranger: Owner;
const bytes = new TextEncoder().encode("# Site rules\n\n- Wear a helmet.\n- Sign in at the gate.\n");

beforeAll(async () => {
  owner = await createTenant("Duplicates owner");
  stranger = await createTenant("Duplicates stranger");
});

describe("duplicate uploads", () => {
  it("refuses the same bytes in the same collection, naming the document that has them", async () => {
    const { document: first } = await acceptUpload(owner, { fileName: "rules.md", bytes, collectionId: null });
    const refusal = await acceptUpload(owner, { fileName: "rules (copy).md", bytes, collectionId: first.collectionId }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DuplicateDocument);
    expect(refusal).toMatchObject({ code: "duplicate", documentId: first.id });
    expect((refusal as Error).message).toContain("“rules.md”");
    // Nothing of the refused copy was kept.
    expect((await listDocuments(owner)).map((d) => d.id)).toEqual([first.id]);
    expect(await getBlobStore().list(`${owner.tenantId}/`)).toHaveLength(1);
    // The same bytes under another name into the default collection (collectionId null) too.
    await expect(acceptUpload(owner, { fileName: "other.md", bytes, collectionId: null })).rejects.toBeInstanceOf(DuplicateDocument);
  });

  it("takes the same bytes into another collection, and in another tenant", async () => {
    const archive = await createCollection(owner, "Archive");
    const { document } = await acceptUpload(owner, { fileName: "rules.md", bytes, collectionId: archive.id });
    expect(document.collectionId).toBe(archive.id);
    const { document: theirs } = await acceptUpload(stranger, { fileName: "rules.md", bytes, collectionId: null });
    expect(theirs.tenantId).toBe(stranger.tenantId);
  });

  it("takes the content again once the document that had it is deleted", async () => {
    const [existing] = (await listDocuments(owner)).filter((d) => d.collectionName !== "Archive");
    await deleteDocument(owner, existing!.id);
    const { document } = await acceptUpload(owner, { fileName: "rules again.md", bytes, collectionId: null });
    expect(document.name).toBe("rules again.md");
  });
});
