// Document changes reach every browser of the tenant through the live stream, sent only when the
// change commits, and never reach another tenant's subscribers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection, deleteCollection, moveDocument, renameCollection } from "@/lib/documents/collection-admin";
import { deleteDocument } from "@/lib/documents/documents";
import { acceptUpload } from "@/lib/documents/upload";
import { createTenant } from "@/test/fixtures";
import type { LiveMessage } from "./job-events";
import { subscribeToLiveUpdates } from "./live-updates";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;
let stranger: Owner;
const heardByOwner: LiveMessage[] = [];
const heardByStranger: LiveMessage[] = [];
const stops: (() => void)[] = [];

const text = (s: string) => new TextEncoder().encode(s);
const changes = (messages: LiveMessage[]) =>
  messages.flatMap((m) => (m.type === "document" ? [{ documentId: m.documentId, change: m.change, tenantId: m.tenantId }] : []));

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  owner = await createTenant("Live documents owner");
  stranger = await createTenant("Live documents stranger");
  stops.push(await subscribeToLiveUpdates({ tenantId: owner.tenantId, userId: owner.userId, onMessage: (m) => heardByOwner.push(m) }));
  stops.push(await subscribeToLiveUpdates({ tenantId: stranger.tenantId, userId: stranger.userId, onMessage: (m) => heardByStranger.push(m) }));
});
afterAll(() => stops.forEach((stop) => stop()));

describe("document changes on the live stream", () => {
  it("announces an upload, with its queued job, a move, a rename, a deletion and a deleted collection", async () => {
    const { document } = await acceptUpload(owner, { fileName: "plan.md", bytes: text("# Plan\n\n- build\n- test\n"), collectionId: null });
    await until(() => changes(heardByOwner).length >= 1, "the upload");
    expect(changes(heardByOwner)[0]).toEqual({ documentId: document.id, change: "created", tenantId: owner.tenantId });
    // It carries what a list needs to show the row before re-reading the page.
    expect(heardByOwner.find((m) => m.type === "document")).toMatchObject({
      document: { name: "plan.md", kind: "markdown", sizeBytes: document.sizeBytes, collectionId: document.collectionId, collectionName: "General" },
    });
    // The new job is announced at once, so every tab shows it queued before it starts.
    const queued = heardByOwner.find((m) => m.type === "job" && m.documentId === document.id);
    expect(queued).toMatchObject({ status: "queued", stage: "queued" });

    const archive = await createCollection(owner, "Archive");
    await moveDocument(owner, document.id, archive.id);
    await renameCollection(owner, archive.id, "Old archive");
    await deleteDocument(owner, document.id);
    const { document: second } = await acceptUpload(owner, { fileName: "old.md", bytes: text("# Old\n\n- one\n- two\n"), collectionId: archive.id });
    await deleteCollection(owner, archive.id);
    await until(() => changes(heardByOwner).length >= 6, "every change");
    expect(changes(heardByOwner).map(({ documentId, change }) => [documentId, change])).toEqual([
      [document.id, "created"],
      [document.id, "updated"],
      [null, "updated"],
      [document.id, "deleted"],
      [second.id, "created"],
      [null, "deleted"],
    ]);
  });

  it("announces nothing for a refused upload (the transaction did not commit)", async () => {
    const before = changes(heardByOwner).length;
    await expect(acceptUpload(owner, { fileName: "empty.md", bytes: new Uint8Array(0), collectionId: null })).rejects.toThrow();
    const bytes = text("# Twice\n\n- same\n- bytes\n");
    await acceptUpload(owner, { fileName: "twice.md", bytes, collectionId: null });
    await expect(acceptUpload(owner, { fileName: "twice again.md", bytes, collectionId: null })).rejects.toMatchObject({ code: "duplicate" });
    await until(() => changes(heardByOwner).length > before, "the accepted upload");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(
      changes(heardByOwner)
        .slice(before)
        .map((c) => c.change),
    ).toEqual(["created"]);
  });

  it("never reaches another tenant", async () => {
    const { document } = await acceptUpload(stranger, { fileName: "theirs.md", bytes: text("# Theirs\n\n- a\n- b\n"), collectionId: null });
    await until(() => changes(heardByStranger).length === 1, "the stranger's own upload");
    // Everything the owner did above was heard by the owner and not by the stranger.
    expect(heardByStranger.every((m) => m.tenantId === stranger.tenantId)).toBe(true);
    expect(changes(heardByStranger)).toEqual([{ documentId: document.id, change: "created", tenantId: stranger.tenantId }]);
    expect(heardByOwner.some((m) => m.tenantId === stranger.tenantId)).toBe(false);
  });
});
