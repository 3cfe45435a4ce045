// Collections as admins manage them: create, rename, delete with their documents; moving a
// document carries its chunks along and drops answers cached on them; members and other tenants
// can change nothing.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiExactCache, auditLog } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { getBlobStore } from "@/lib/storage";
import { addMember, createTenant } from "@/test/fixtures";
import { documentState, runAnalysis } from "@/test/documents-harness";
import { createCollection, deleteCollection, moveDocument, renameCollection } from "./collection-admin";
import { listCollections } from "./collections";
import { acceptUpload } from "./upload";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;
let stranger: Owner;

beforeAll(async () => {
  owner = await createTenant("Collections owner");
  stranger = await createTenant("Collections stranger");
});
afterAll(async () => {
  await getGateway().flush();
});

async function readyDocument(name: string, collectionId: string | null) {
  const { document, request } = await acceptUpload(owner, {
    fileName: name,
    bytes: new TextEncoder().encode(`# ${name}\n\nText about ${name}.`),
    collectionId,
  });
  await runAnalysis(request);
  return document;
}

async function cacheCiting(chunkId: string, key: string) {
  await withTenant(owner.tenantId, (tx) =>
    tx.insert(aiExactCache).values({
      tenantId: owner.tenantId,
      key,
      completion: { text: "cached", finishReason: "stop", inputTokens: 1, outputTokens: 1, provider: "offline", model: "m" },
      expiresAt: new Date(Date.now() + 3_600_000),
      contextChunkIds: [chunkId],
    }),
  );
}
const cacheRows = (key: string) => withSystem("test: cache rows", (tx) => tx.select().from(aiExactCache).where(eq(aiExactCache.key, key)));

describe("collections", () => {
  it("creates and renames, refusing duplicate names (case-insensitively), blank names and control characters", async () => {
    const research = await createCollection(owner, "  Research ");
    expect(research.name).toBe("Research");
    await expect(createCollection(owner, "research")).rejects.toMatchObject({ code: "conflict" });
    await expect(createCollection(owner, "   ")).rejects.toThrow();
    await expect(createCollection(owner, "bad\u0000name")).rejects.toThrow();
    const renamed = await renameCollection(owner, research.id, "Research notes");
    expect(renamed.name).toBe("Research notes");
    const names = (await listCollections(owner)).map((c) => c.name);
    expect(names).toContain("Research notes");
    const audit = await withSystem("test: audit", (tx) => tx.select().from(auditLog).where(eq(auditLog.targetId, research.id)));
    expect(audit.map((a) => a.action).sort()).toEqual(["collection.created", "collection.renamed"]);
    expect(audit.find((a) => a.action === "collection.renamed")?.metadata).toEqual({ from: "Research", to: "Research notes" });
  });

  it("moves a document with its chunks, and drops the answers cached on them", async () => {
    const target = await createCollection(owner, "Contracts");
    const document = await readyDocument("lease.md", null);
    const before = await documentState(document.id);
    expect(before.chunks.length).toBeGreaterThan(0);
    expect(before.chunks.every((c) => c.collectionId === document.collectionId)).toBe(true);
    await cacheCiting(before.chunks[0]!.id, `move-${document.id}`);

    await moveDocument(owner, document.id, target.id);
    const after = await documentState(document.id);
    expect(after.document?.collectionId).toBe(target.id);
    expect(after.chunks.map((c) => c.collectionId)).toEqual(after.chunks.map(() => target.id));
    expect(await cacheRows(`move-${document.id}`)).toHaveLength(0);
  });

  it("an analysis after a move puts the chunks live in the collection the document is in now", async () => {
    const target = await createCollection(owner, "Moved before analysis");
    const { document, request } = await acceptUpload(owner, {
      fileName: "early.md",
      bytes: new TextEncoder().encode("# Early\n\nMoved while queued."),
      collectionId: null,
    });
    await moveDocument(owner, document.id, target.id);
    await runAnalysis(request);
    const state = await documentState(document.id);
    expect(state.document?.status).toBe("ready");
    expect(state.chunks.length).toBeGreaterThan(0);
    expect(state.chunks.every((c) => c.active && c.collectionId === target.id)).toBe(true);
  });

  it("deletes a collection with its documents, their chunks, originals and cached answers; never the default one", async () => {
    const doomed = await createCollection(owner, "Old drafts");
    const first = await readyDocument("draft-1.md", doomed.id);
    const second = await readyDocument("draft-2.md", doomed.id);
    const kept = await readyDocument("kept.md", null);
    const { chunks } = await documentState(first.id);
    await cacheCiting(chunks[0]!.id, `collection-${doomed.id}`);

    const deleted = await deleteCollection(owner, doomed.id);
    expect(deleted.documentCount).toBe(2);
    for (const gone of [first, second]) {
      expect((await documentState(gone.id)).document).toBeUndefined();
      expect(await getBlobStore().get(gone.storageKey)).toBeNull();
    }
    const leftover = await withSystem("test: chunks", (tx) =>
      tx.execute(sql`select count(*)::int as n from document_chunks where collection_id = ${doomed.id}`),
    );
    expect(JSON.stringify(leftover)).toContain('"n":0');
    expect(await cacheRows(`collection-${doomed.id}`)).toHaveLength(0);
    expect((await documentState(kept.id)).document?.status).toBe("ready");

    const defaultCollection = (await listCollections(owner)).find((c) => c.isDefault)!;
    await expect(deleteCollection(owner, defaultCollection.id)).rejects.toMatchObject({ code: "conflict" });
  });

  it("lets members change nothing and other tenants see nothing", async () => {
    const member = await addMember(owner, "member");
    const mine = await createCollection(owner, "Admins only");
    await expect(createCollection(member, "Mine")).rejects.toMatchObject({ code: "forbidden" });
    await expect(renameCollection(member, mine.id, "Taken over")).rejects.toMatchObject({ code: "forbidden" });
    await expect(deleteCollection(member, mine.id)).rejects.toMatchObject({ code: "forbidden" });

    const document = await readyDocument("owners.md", null);
    await expect(moveDocument(member, document.id, mine.id)).rejects.toMatchObject({ code: "forbidden" });

    // Another tenant's admin, with the right ids, finds neither the collection nor the document.
    const theirs = await createCollection(stranger, "Theirs");
    await expect(renameCollection(stranger, mine.id, "Stolen")).rejects.toMatchObject({ code: "not_found" });
    await expect(deleteCollection(stranger, mine.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(moveDocument(stranger, document.id, theirs.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(moveDocument(owner, document.id, theirs.id)).rejects.toMatchObject({ code: "not_found" });
    expect((await listCollections(stranger)).map((c) => c.name)).not.toContain("Admins only");
    expect((await documentState(document.id)).document?.collectionId).toBe(document.collectionId);
  });
});
