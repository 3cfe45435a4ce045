// The local directory store's reads for serving: a file a piece at a time with its size, and only
// the beginning of one.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentBlobKey } from "./blob-store";
import { LocalDirectoryStore } from "./local-directory-store";

const tenantId = "00000000-0000-4000-8000-000000000001";
const key = documentBlobKey(tenantId, "00000000-0000-4000-8000-000000000002");
const missing = documentBlobKey(tenantId, "00000000-0000-4000-8000-000000000003");
// 1 MB and a bit, every byte position distinguishable.
const bytes = Uint8Array.from({ length: 1024 * 1024 + 77 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
let root: string;
let store: LocalDirectoryStore;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "keel-store-"));
  store = new LocalDirectoryStore(root);
  await store.put(key, bytes);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("LocalDirectoryStore", () => {
  it("opens a file as pieces of at most 256 KB, with its size", async () => {
    const opened = await store.open(key);
    expect(opened?.size).toBe(bytes.length);
    const pieces: Uint8Array[] = [];
    for await (const piece of opened!.body) pieces.push(piece);
    expect(pieces.length).toBe(5);
    expect(Math.max(...pieces.map((p) => p.length))).toBe(256 * 1024);
    expect(Buffer.concat(pieces).equals(Buffer.from(bytes))).toBe(true);
  });

  it("reads only the beginning of a file, and says how large the whole is", async () => {
    const start = await store.readStart(key, 1000);
    expect(start?.size).toBe(bytes.length);
    expect(Buffer.from(start!.bytes).equals(Buffer.from(bytes.subarray(0, 1000)))).toBe(true);
    const all = await store.readStart(key, 10 * 1024 * 1024);
    expect(all?.bytes.length).toBe(bytes.length);
    expect(Buffer.from(all!.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it("answers null for a key with nothing stored", async () => {
    expect(await store.open(missing)).toBeNull();
    expect(await store.readStart(missing, 10)).toBeNull();
    expect(await store.stream(missing)).toBeNull();
  });
});
