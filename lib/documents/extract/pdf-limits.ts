// Bounds a PDF before PDF.js reads it. PDF.js decodes a compressed stream whole into memory (and
// outside the JavaScript heap, where a worker's heap limit does not reach), so a few MB of
// FlateDecode data that inflate to gigabytes would exhaust the process. One linear pass over the
// bytes counts the indirect objects and measures what every zlib stream inflates to, with zlib
// itself stopping at the limit; the page count is checked once PDF.js has read the page tree.
// Not measured: LZW and run-length streams (rare, and bounded by the worker's time limit).
import { createInflate } from "node:zlib";
import { DocumentRejected } from "../errors";

export interface PdfLimits {
  maxPages: number;
  /** Indirect objects (counted by `endobj`, and as the cross-reference tables size them). */
  maxObjects: number;
  /** What any one stream may inflate to. */
  maxStreamBytes: number;
  /** What all streams together may inflate to. */
  maxDecodedBytes: number;
}

export const DEFAULT_PDF_LIMITS: PdfLimits = {
  maxPages: 5_000,
  maxObjects: 500_000,
  maxStreamBytes: 128 * 1024 * 1024,
  maxDecodedBytes: 512 * 1024 * 1024,
};

const WHAT = "This PDF";
const format = (n: number) => n.toLocaleString("en");
const mb = (bytes: number) => `${format(Math.round(bytes / (1024 * 1024)))} MB`;

const tooComplex = (detail: string) => new DocumentRejected("too_complex", `${WHAT} could not be processed: ${detail}`);

/** Bytes a zlib stream starting at `data` inflates to, counted without keeping them; stops past `cap`. */
function inflatedSize(data: Uint8Array, cap: number): Promise<number> {
  return new Promise((resolve) => {
    const inflater = createInflate({ chunkSize: 64 * 1024 });
    let size = 0;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      resolve(size);
    };
    inflater.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) settle();
    });
    // The stream's own end (bytes after it are ignored), or data zlib cannot read: PDF.js would
    // not get further either.
    inflater.on("end", settle);
    inflater.on("error", settle);
    inflater.end(data);
  });
}

/** A zlib header as PDF.js's FlateStream accepts it (deflate, valid check bits, no preset dictionary). */
function zlibHeaderAt(bytes: Uint8Array, at: number): boolean {
  const cmf = bytes[at];
  const flg = bytes[at + 1];
  if (cmf === undefined || flg === undefined) return false;
  return (cmf & 0x0f) === 8 && ((cmf << 8) + flg) % 31 === 0 && (flg & 0x20) === 0;
}

const STREAM = Buffer.from("stream");
const END_OBJ = Buffer.from("endobj");
const SIZE_KEY = Buffer.from("/Size");

/** The largest `/Size` any cross-reference section declares. */
function declaredObjects(buffer: Buffer): number {
  let largest = 0;
  for (let at = buffer.indexOf(SIZE_KEY); at >= 0; at = buffer.indexOf(SIZE_KEY, at + SIZE_KEY.length)) {
    let i = at + SIZE_KEY.length;
    while (buffer[i] === 0x20 || buffer[i] === 0x0a || buffer[i] === 0x0d || buffer[i] === 0x09) i++;
    let value = 0;
    for (let digits = 0; digits < 12 && buffer[i]! >= 0x30 && buffer[i]! <= 0x39; digits++, i++) value = value * 10 + (buffer[i]! - 0x30);
    largest = Math.max(largest, value);
  }
  return largest;
}

/** Refuses a PDF whose objects or compressed streams pass the limits, before PDF.js parses it. */
export async function assertPdfWithinLimits(bytes: Uint8Array, limits: PdfLimits = DEFAULT_PDF_LIMITS): Promise<void> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = declaredObjects(buffer);
  if (declared > limits.maxObjects) {
    throw tooComplex(`its cross-reference table declares ${format(declared)} objects, and Keel reads PDFs of at most ${format(limits.maxObjects)}.`);
  }
  let objects = 0;
  for (let at = buffer.indexOf(END_OBJ); at >= 0; at = buffer.indexOf(END_OBJ, at + END_OBJ.length)) {
    if (++objects > limits.maxObjects) throw tooComplex(`it holds more than ${format(limits.maxObjects)} objects, the most Keel reads.`);
  }
  let decoded = 0;
  for (let at = buffer.indexOf(STREAM); at >= 0; at = buffer.indexOf(STREAM, at + STREAM.length)) {
    // "endstream" closes a stream; a stream's data starts after "stream" and its end of line.
    if (at >= 3 && buffer[at - 3] === 0x65 && buffer[at - 2] === 0x6e && buffer[at - 1] === 0x64) continue;
    let start = at + STREAM.length;
    if (buffer[start] === 0x0d) start++;
    if (buffer[start] !== 0x0a && buffer[start - 1] !== 0x0d) continue;
    if (buffer[start] === 0x0a) start++;
    if (!zlibHeaderAt(bytes, start)) continue;
    const cap = Math.min(limits.maxStreamBytes, limits.maxDecodedBytes - decoded);
    const size = await inflatedSize(bytes.subarray(start), cap);
    if (size > limits.maxStreamBytes) {
      throw new DocumentRejected(
        "zip_bomb",
        `${WHAT} could not be processed: one of its compressed streams expands to more than ${mb(limits.maxStreamBytes)} (a "decompression bomb"), so it was not read.`,
      );
    }
    decoded += size;
    if (decoded > limits.maxDecodedBytes) {
      throw new DocumentRejected(
        "zip_bomb",
        `${WHAT} could not be processed: its compressed streams expand to more than ${mb(limits.maxDecodedBytes)} in all, the most Keel reads.`,
      );
    }
  }
}

/** Refuses a PDF whose page tree declares more pages than the limit. */
export function assertPageCount(pages: number, limits: PdfLimits = DEFAULT_PDF_LIMITS): void {
  if (pages > limits.maxPages) throw tooComplex(`it has ${format(pages)} pages, and Keel reads PDFs of at most ${format(limits.maxPages)} pages.`);
}
