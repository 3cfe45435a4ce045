// Uploads are streamed, admitted before their body is read, and leave nothing behind when refused:
// no file (not even a temporary one), no document row, no reservation.
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { documents, uploadReservations } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { getBlobStore, storageDirectory } from "@/lib/storage";
import { addMember, createTenant } from "@/test/fixtures";
import { createCollection } from "./collection-admin";
import { listDocuments } from "./documents";
import { DuplicateDocument, UploadRefused } from "./errors";
import { acceptUpload } from "./upload";

const text = (value: string) => new TextEncoder().encode(value);
const limits = { maxFileBytes: 1024 * 1024, tenantStorageBytes: 100 * 1024 * 1024 };

/** A body that yields `chunks` one by one, counting how many were read; `hold` keeps it open until released. */
function streamed(chunks: Uint8Array[], options: { hold?: Promise<void>; failAfter?: number } = {}) {
  const state = { pulled: 0 };
  // highWaterMark 0: a chunk is pulled only when the reader asks for it, so `pulled` counts reads.
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (options.failAfter !== undefined && state.pulled >= options.failAfter) {
          controller.error(new Error("socket hang up"));
          return;
        }
        if (state.pulled === chunks.length) {
          await options.hold;
          controller.close();
          return;
        }
        controller.enqueue(chunks[state.pulled++]!);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

const pieces = (bytes: Uint8Array, size: number) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

/** Every file under the storage directory, temporary ones included. */
function filesOnDisk(): string[] {
  const root = storageDirectory();
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

async function reservationsOf(tenantId: string) {
  return withSystem("test: read reservations", (tx) => tx.select().from(uploadReservations).where(eq(uploadReservations.tenantId, tenantId)));
}

async function expectNothingLeft(tenant: { tenantId: string }, before: string[]) {
  expect(filesOnDisk().filter((file) => !before.includes(file) && file.includes(tenant.tenantId))).toEqual([]);
  expect(await reservationsOf(tenant.tenantId)).toEqual([]);
}

describe("streamed uploads", { timeout: 120_000 }, () => {
  it("streams the body to storage and records its SHA-256", async () => {
    const tenant = await createTenant("Stream");
    const content = text(`# Report\n\n${"The turbine reports its output. ".repeat(20_000)}`);
    const { stream } = streamed(pieces(content, 16 * 1024));
    const { document } = await acceptUpload(tenant, { fileName: "report.md", bytes: stream, collectionId: null, declaredBytes: content.length }, { limits });
    expect(document).toMatchObject({ kind: "markdown", sizeBytes: content.length, sha256: createHash("sha256").update(content).digest("hex") });
    expect(await getBlobStore().get(document.storageKey)).toEqual(content);
    expect(await reservationsOf(tenant.tenantId)).toEqual([]);
  });

  it("refuses the same content in the same collection as a duplicate, keeping nothing of it", async () => {
    const tenant = await createTenant("Duplicates");
    const content = text("# Minutes\n\nThe board met on Monday.");
    const first = await acceptUpload(tenant, { fileName: "minutes.md", bytes: content, collectionId: null });
    const before = filesOnDisk();
    const second = acceptUpload(tenant, { fileName: "minutes-copy.md", bytes: streamed([content]).stream, collectionId: null, declaredBytes: content.length });
    await expect(second).rejects.toBeInstanceOf(DuplicateDocument);
    await expect(second).rejects.toMatchObject({
      code: "duplicate",
      documentId: first.document.id,
      message: expect.stringMatching(/already in the collection “General”, as “minutes\.md”/),
    });
    expect(await listDocuments(tenant)).toHaveLength(1);
    await expectNothingLeft(tenant, before);
    // The same content in another collection is another document.
    const other = await createCollection(tenant, "Archive");
    await expect(acceptUpload(tenant, { fileName: "minutes.md", bytes: content, collectionId: other.id })).resolves.toMatchObject({
      document: { collectionId: other.id },
    });
  });

  it("stops reading at the size limit, whatever the client declared", async () => {
    const tenant = await createTenant("Too big");
    const before = filesOnDisk();
    const chunks = pieces(text("words ".repeat(400_000)), 64 * 1024);
    const { stream, state } = streamed(chunks);
    await expect(acceptUpload(tenant, { fileName: "big.txt", bytes: stream, collectionId: null }, { limits })).rejects.toMatchObject({
      code: "too_large",
      message: expect.stringMatching(/largest file Keel takes is 1\.0 MB/),
    });
    expect(state.pulled).toBeLessThan(chunks.length);
    await expectNothingLeft(tenant, before);
    expect(await listDocuments(tenant)).toEqual([]);
  });

  it("refuses a declared size over the limit without reading the body", async () => {
    const tenant = await createTenant("Declared");
    const { stream, state } = streamed([text("hello")]);
    await expect(
      acceptUpload(tenant, { fileName: "x.txt", bytes: stream, collectionId: null, declaredBytes: 50 * 1024 * 1024 }, { limits }),
    ).rejects.toMatchObject({
      code: "too_large",
    });
    expect(state.pulled).toBe(0);
  });

  it("stops reading a refused type after its first 64 KB", async () => {
    const tenant = await createTenant("Program");
    const before = filesOnDisk();
    const program = new Uint8Array(900 * 1024);
    program.set([0x4d, 0x5a]);
    const chunks = pieces(program, 16 * 1024);
    const { stream, state } = streamed(chunks);
    await expect(
      acceptUpload(tenant, { fileName: "setup.pdf", bytes: stream, collectionId: null, declaredBytes: program.length }, { limits }),
    ).rejects.toMatchObject({
      code: "unsupported_type",
      message: expect.stringMatching(/a program/),
    });
    expect(state.pulled).toBeLessThanOrEqual(5);
    await expectNothingLeft(tenant, before);
  });

  it("refuses an upload cut off midway, or shorter than declared, leaving nothing", async () => {
    const tenant = await createTenant("Cut off");
    const before = filesOnDisk();
    const content = text("Plain notes about the plant. ".repeat(5_000));
    const broken = streamed(pieces(content, 8 * 1024), { failAfter: 3 });
    await expect(
      acceptUpload(tenant, { fileName: "a.txt", bytes: broken.stream, collectionId: null, declaredBytes: content.length }, { limits }),
    ).rejects.toMatchObject({
      code: "incomplete",
    });
    const short = streamed([content.subarray(0, 1000)]);
    await expect(
      acceptUpload(tenant, { fileName: "b.txt", bytes: short.stream, collectionId: null, declaredBytes: content.length }, { limits }),
    ).rejects.toMatchObject({
      code: "incomplete",
    });
    await expectNothingLeft(tenant, before);
    expect(await listDocuments(tenant)).toEqual([]);
  });
});

describe("admission before the body is read", () => {
  it("holds each person to a number of uploads at once, across processes (rows), not their colleagues", async () => {
    const tenant = await createTenant("Busy person");
    const colleague = await addMember(tenant);
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const concurrency = { perUser: 2, perProcess: 100 };
    const open = [0, 1].map((i) =>
      acceptUpload(
        tenant,
        { fileName: `slow-${i}.txt`, bytes: streamed([text(`slow upload ${i}`)], { hold }).stream, collectionId: null },
        { limits, concurrency },
      ),
    );
    await expect.poll(async () => (await reservationsOf(tenant.tenantId)).length).toBe(2);
    const third = streamed([text("third")]);
    const refusal = acceptUpload(tenant, { fileName: "third.txt", bytes: third.stream, collectionId: null }, { limits, concurrency });
    await expect(refusal).rejects.toBeInstanceOf(UploadRefused);
    await expect(refusal).rejects.toMatchObject({ code: "too_many_uploads", status: 429, retryAfterSeconds: 5 });
    expect(third.state.pulled).toBe(0);
    await expect(
      acceptUpload(colleague, { fileName: "mine.txt", bytes: text("a colleague's note"), collectionId: null }, { limits, concurrency }),
    ).resolves.toBeTruthy();
    release();
    await Promise.all(open);
    await expect(
      acceptUpload(tenant, { fileName: "later.txt", bytes: text("now there is room"), collectionId: null }, { limits, concurrency }),
    ).resolves.toBeTruthy();
    expect(await reservationsOf(tenant.tenantId)).toEqual([]);
  });

  it("bounds this process's uploads in flight", async () => {
    const tenant = await createTenant("Process");
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const concurrency = { perUser: 10, perProcess: 1 };
    const open = acceptUpload(tenant, { fileName: "slow.txt", bytes: streamed([text("slow")], { hold }).stream, collectionId: null }, { limits, concurrency });
    await expect.poll(async () => (await reservationsOf(tenant.tenantId)).length).toBe(1);
    await expect(acceptUpload(tenant, { fileName: "next.txt", bytes: text("next"), collectionId: null }, { limits, concurrency })).rejects.toMatchObject({
      code: "busy",
      status: 503,
    });
    release();
    await open;
  });

  it("counts bytes still arriving against the storage quota", async () => {
    const tenant = await createTenant("Quota");
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const small = { maxFileBytes: 1024 * 1024, tenantStorageBytes: 1_000 };
    const first = acceptUpload(
      tenant,
      { fileName: "a.txt", bytes: streamed([text("a".repeat(800))], { hold }).stream, collectionId: null, declaredBytes: 800 },
      { limits: small },
    );
    await expect.poll(async () => (await reservationsOf(tenant.tenantId)).length).toBe(1);
    const second = streamed([text("b".repeat(300))]);
    await expect(
      acceptUpload(tenant, { fileName: "b.txt", bytes: second.stream, collectionId: null, declaredBytes: 300 }, { limits: small }),
    ).rejects.toMatchObject({
      code: "storage_quota",
      message: expect.stringMatching(/800 B more are being uploaded.*does not fit/),
    });
    expect(second.state.pulled).toBe(0);
    release();
    await first;
    expect((await listDocuments(tenant)).map((d) => d.name)).toEqual(["a.txt"]);
  });

  it("refuses an unknown collection before reading the body", async () => {
    const tenant = await createTenant("Collections");
    const body = streamed([text("hello")]);
    await expect(acceptUpload(tenant, { fileName: "x.txt", bytes: body.stream, collectionId: crypto.randomUUID() }, { limits })).rejects.toMatchObject({
      code: "not_found",
    });
    expect(body.state.pulled).toBe(0);
  });

  it("keeps reservations to their workspace: another tenant sees none", async () => {
    const tenant = await createTenant("Visible");
    const stranger = await createTenant("Stranger");
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const open = acceptUpload(tenant, { fileName: "slow.txt", bytes: streamed([text("slow")], { hold }).stream, collectionId: null }, { limits });
    await expect.poll(async () => (await reservationsOf(tenant.tenantId)).length).toBe(1);
    const seen = await withTenant(stranger.tenantId, (tx) => tx.select().from(uploadReservations).where(eq(uploadReservations.tenantId, tenant.tenantId)));
    const all = await withTenant(stranger.tenantId, (tx) => tx.select().from(uploadReservations));
    expect(seen).toEqual([]);
    expect(all.every((row) => row.tenantId === stranger.tenantId)).toBe(true);
    release();
    const { document } = await open;
    const otherDocuments = await withTenant(stranger.tenantId, (tx) => tx.select().from(documents).where(eq(documents.id, document.id)));
    expect(otherDocuments).toEqual([]);
  });
});
