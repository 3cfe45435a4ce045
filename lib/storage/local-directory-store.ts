// The default store: a local directory (KEEL_STORAGE_DIR, default .data/uploads). Writes go to a
// temporary file first and are renamed into place, so a crash never leaves a half-written original.
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, rmdir, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { assertSafeKey, assertSafeTenant, type BlobStore } from "./blob-store";

export class LocalDirectoryStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      if (data instanceof Uint8Array) await writeFile(temporary, data, { mode: 0o600 });
      else await pipeline(Readable.from(data, { objectMode: false }), createWriteStream(temporary, { mode: 0o600 }));
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      // The document's directory too, when this was its only file.
      await rmdir(path.dirname(target)).catch(() => {});
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async stream(key: string): Promise<AsyncIterable<Uint8Array> | null> {
    return (await this.open(key))?.body ?? null;
  }

  async open(key: string): Promise<{ size: number; body: AsyncIterable<Uint8Array> } | null> {
    const file = await this.openFile(key);
    if (!file) return null;
    try {
      const { size } = await file.stat();
      // The open file stays readable if the key is replaced or deleted meanwhile.
      return { size, body: file.createReadStream({ highWaterMark: 256 * 1024 }) };
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  async readStart(key: string, maxBytes: number): Promise<{ bytes: Uint8Array; size: number } | null> {
    const file = await this.openFile(key);
    if (!file) return null;
    try {
      const { size } = await file.stat();
      const bytes = new Uint8Array(Math.min(size, maxBytes));
      let read = 0;
      while (read < bytes.length) {
        const { bytesRead } = await file.read(bytes, read, bytes.length - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return { bytes: bytes.subarray(0, read), size };
    } finally {
      await file.close();
    }
  }

  private async openFile(key: string): Promise<FileHandle | null> {
    try {
      return await open(this.pathOf(key), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const target = this.pathOf(key);
    await rm(target, { force: true });
    // Drop the document's directory too when it is empty now.
    await rmdir(path.dirname(target)).catch(() => {});
  }

  async deleteTenant(tenantId: string): Promise<number> {
    assertSafeTenant(tenantId);
    const keys = await this.list(`${tenantId}/`);
    // Temporary files of uploads cut off by a crash go too: the whole folder is the tenant's.
    await rm(path.join(this.root, tenantId), { recursive: true, force: true });
    return keys.length;
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string, relative: string[]) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.endsWith(".tmp")) continue;
        const next = [...relative, entry.name];
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), next);
        else keys.push(next.join("/"));
      }
    };
    await walk(this.root, []);
    return keys.filter((key) => key.startsWith(prefix)).sort();
  }
}
