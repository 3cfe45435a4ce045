// The process-wide blob store, from configuration.
import { processSingleton } from "@/core/process-singleton";
import type { BlobStore } from "./blob-store";
import { LocalDirectoryStore } from "./local-directory-store";

export type { BlobStore } from "./blob-store";
export { documentBlobKey } from "./blob-store";

export function storageDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.KEEL_STORAGE_DIR?.trim() || ".data/uploads";
}

export function getBlobStore(): BlobStore {
  return processSingleton("storage:blobs", () => new LocalDirectoryStore(storageDirectory()));
}
