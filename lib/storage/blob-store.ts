// Where document originals are kept. Deliberately narrow (put, get, delete, list by prefix), so an
// S3-compatible store can take the local directory's place without touching any caller. Keys are
// built by Keel from ids (`<tenantId>/<documentId>/original`), never from user input.

export interface BlobStore {
  /**
   * Stores the bytes under `key`, replacing what was there. A stream is written as it arrives;
   * when it fails (the source throws: too large, refused, cut off) nothing is left under `key`.
   */
  put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
  /** The bytes under `key`, or null when there are none. */
  get(key: string): Promise<Uint8Array | null>;
  /** The bytes under `key` as they are read (large files: exports), or null when there are none. */
  stream(key: string): Promise<AsyncIterable<Uint8Array> | null>;
  /**
   * The bytes under `key` as they are read, and how many there are (a download's length), or null
   * when there are none. A request serves a large file this way, a piece at a time, so the other
   * requests of its process are answered in between.
   */
  open(key: string): Promise<{ size: number; body: AsyncIterable<Uint8Array> } | null>;
  /** At most the first `maxBytes` bytes under `key` and the size of the whole, or null when there are none. */
  readStart(key: string, maxBytes: number): Promise<{ bytes: Uint8Array; size: number } | null>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key under `prefix` (for clean-up and tests). */
  list(prefix: string): Promise<string[]>;
  /** Removes everything a tenant has stored (a purged workspace), folders too; returns how many keys. */
  deleteTenant(tenantId: string): Promise<number>;
}

const KEY = /^[0-9a-f-]{36}\/[0-9a-f-]{36}\/[a-z0-9-]+$/;

/** The key of a document's original; refuses anything not made of ids (no path tricks). */
export function documentBlobKey(tenantId: string, documentId: string): string {
  const key = `${tenantId}/${documentId}/original`;
  if (!KEY.test(key)) throw new Error("documentBlobKey: tenant and document ids must be uuids");
  return key;
}

const TENANT = /^[0-9a-f-]{36}$/;

export function assertSafeTenant(tenantId: string): void {
  if (!TENANT.test(tenantId)) throw new Error(`Refusing storage folder ${JSON.stringify(tenantId)}`);
}

export function assertSafeKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`Refusing storage key ${JSON.stringify(key)}`);
}
