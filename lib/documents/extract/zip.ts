// A zip reader that believes nothing it is told. The central directory is found from the end
// record (ZIP64 included) and its declared entry count and total size are held to the limits
// before a single entry is read or inflated; entries are read from the bytes actually there
// (never past the end of the file); and each entry is inflated by zlib with an output limit,
// so inflation stops the moment the limit is reached, whatever the headers claim.
// Names are kept in a Map: an entry called "__proto__" is only a name.
import { inflateRawSync } from "node:zlib";
import { DocumentRejected } from "../errors";

export interface ZipLimits {
  /** Entries the directory may declare. */
  maxEntries: number;
  /** Total uncompressed size the directory may declare, over all entries. */
  maxDeclaredBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 10_000, maxDeclaredBytes: 1024 * 1024 * 1024 };

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  /** As declared: a claim, not a fact. */
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

const formatCount = (n: number | bigint) => n.toLocaleString("en");
const formatMb = (bytes: number | bigint) => `${formatCount(Math.round(Number(bytes) / (1024 * 1024)))} MB`;
/** An entry's name for a message: quoted, and short whatever its length. */
const quoted = (name: string) => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

function damaged(what: string, detail: string): DocumentRejected {
  return new DocumentRejected("corrupt", `${what} could not be processed: its zip archive is damaged (${detail}). Save a new copy and upload that.`);
}

class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fits(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && offset + length <= this.bytes.length;
  }
  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }
  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
  u64(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }
}

/** The end-of-central-directory record: searched for in the last 64 KB only (its comment's bound). */
function findEndRecord(reader: Reader): number {
  const last = reader.bytes.length - 22;
  const first = Math.max(0, last - 0xffff);
  for (let at = last; at >= first; at--) if (reader.u32(at) === EOCD) return at;
  return -1;
}

interface Directory {
  entries: bigint;
  size: bigint;
  offset: bigint;
}

function directoryOf(reader: Reader, what: string): Directory {
  const end = findEndRecord(reader);
  if (end < 0) throw damaged(what, "no end-of-directory record");
  const directory: Directory = { entries: BigInt(reader.u16(end + 10)), size: BigInt(reader.u32(end + 12)), offset: BigInt(reader.u32(end + 16)) };
  const locator = end - 20;
  if (locator >= 0 && reader.u32(locator) === ZIP64_LOCATOR) {
    const recordOffset = reader.u64(locator + 8);
    if (recordOffset > BigInt(locator) || !reader.fits(Number(recordOffset), 56) || reader.u32(Number(recordOffset)) !== ZIP64_EOCD) {
      throw damaged(what, "its ZIP64 end record is missing");
    }
    const record = Number(recordOffset);
    directory.entries = reader.u64(record + 32);
    directory.size = reader.u64(record + 40);
    directory.offset = reader.u64(record + 48);
  }
  return directory;
}

/**
 * The archive's entries as its central directory lists them, after checking the declared count,
 * the directory's place in the file and the declared total size against `limits`.
 */
export function readZipDirectory(bytes: Uint8Array, what: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Map<string, ZipEntry> {
  const reader = new Reader(bytes);
  const directory = directoryOf(reader, what);
  if (directory.entries > BigInt(limits.maxEntries)) {
    throw new DocumentRejected(
      "too_complex",
      `${what} could not be processed: its zip archive declares ${formatCount(directory.entries)} entries, and Keel opens archives of at most ${formatCount(limits.maxEntries)}.`,
    );
  }
  const count = Number(directory.entries);
  // Each directory header takes at least 46 bytes, and the directory lies inside the file.
  if (directory.size < BigInt(46 * count) || directory.offset + directory.size > BigInt(bytes.length)) {
    throw damaged(what, "its directory is not where it says");
  }
  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder("utf-8");
  let at = Number(directory.offset);
  const directoryEnd = at + Number(directory.size);
  let declared = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directoryEnd || reader.u32(at) !== CENTRAL_HEADER) throw damaged(what, `directory entry ${i + 1} is unreadable`);
    const nameLength = reader.u16(at + 28);
    const extraLength = reader.u16(at + 30);
    const commentLength = reader.u16(at + 32);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > directoryEnd) throw damaged(what, `directory entry ${i + 1} runs past the directory`);
    const entry: ZipEntry = {
      name: names.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      flags: reader.u16(at + 8),
      method: reader.u16(at + 10),
      compressedSize: reader.u32(at + 20),
      size: reader.u32(at + 24),
      localHeaderOffset: reader.u32(at + 42),
    };
    readZip64Extra(reader, at + 46 + nameLength, extraLength, entry);
    declared += entry.size;
    if (declared > limits.maxDeclaredBytes) {
      throw new DocumentRejected(
        "zip_bomb",
        `${what} could not be processed: its zip archive declares more than ${formatMb(limits.maxDeclaredBytes)} of content when unzipped (a "zip bomb"), so it was not opened.`,
      );
    }
    if (!entries.has(entry.name)) entries.set(entry.name, entry);
    at = next;
  }
  return entries;
}

/** ZIP64 sizes and offset (extra field 0x0001), present for each field set to 0xFFFFFFFF. */
function readZip64Extra(reader: Reader, start: number, length: number, entry: ZipEntry): void {
  const needs = [entry.size, entry.compressedSize, entry.localHeaderOffset].some((v) => v === 0xffffffff);
  if (!needs) return;
  const end = start + length;
  for (let at = start; at + 4 <= end;) {
    const id = reader.u16(at);
    const size = reader.u16(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const take = () => {
        if (field + 8 > end) return Number.MAX_SAFE_INTEGER;
        const value = reader.u64(field);
        field += 8;
        return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
      };
      if (entry.size === 0xffffffff) entry.size = take();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = take();
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = take();
      return;
    }
    at += 4 + size;
  }
}

/**
 * One entry's content, inflated with an output limit: past `maxBytes` inflation stops and the
 * archive is refused as a zip bomb.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, maxBytes: number, what: string): Uint8Array {
  const reader = new Reader(bytes);
  const local = entry.localHeaderOffset;
  if (!reader.fits(local, 30) || reader.u32(local) !== LOCAL_HEADER) throw damaged(what, `the entry ${quoted(entry.name)} is missing`);
  const start = local + 30 + reader.u16(local + 26) + reader.u16(local + 28);
  if (!reader.fits(start, entry.compressedSize)) throw damaged(what, `the entry ${quoted(entry.name)} runs past the end of the file`);
  if (entry.flags & 0x1)
    throw new DocumentRejected("encrypted", `${what} is password-protected. Remove the password in Word (File → Info → Protect), then upload it again.`);
  const data = bytes.subarray(start, start + entry.compressedSize);
  const bomb = () =>
    new DocumentRejected(
      "zip_bomb",
      `${what} could not be processed: its part ${quoted(entry.name)} expands to more than ${formatMb(maxBytes)} when unzipped (a "zip bomb"), so it was not read further.`,
    );
  if (entry.method === 0) {
    if (data.length > maxBytes) throw bomb();
    return data;
  }
  if (entry.method !== 8) throw damaged(what, `the entry ${quoted(entry.name)} uses compression method ${entry.method}, which Keel does not read`);
  try {
    return new Uint8Array(inflateRawSync(data, { maxOutputLength: Math.max(1, maxBytes) }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw bomb();
    throw damaged(what, `the entry ${quoted(entry.name)} does not inflate`);
  }
}
