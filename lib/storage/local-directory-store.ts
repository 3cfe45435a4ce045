// The default store: a local directory (KEEL_STORAGE_DIR, default .data/uploads). Writes go to a
// temporary file first and are renamed into place, so a crash never leaves a half-written original.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { assertSafeKey, type BlobStore } from "./blob-store";

export class LocalDirectoryStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temporary, data, { mode: 0o600 });
    await rename(temporary, target);
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const target = this.pathOf(key);
    await rm(target, { force: true });
    // Drop the document's directory too when it is empty now.
    await rm(path.dirname(target), { recursive: false, force: true }).catch(() => {});
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
