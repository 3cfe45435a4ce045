// DOCX text through mammoth, after the zip has been opened under a bound: a DOCX is a zip, and a
// zip bomb (a few KB that inflate to gigabytes) must be refused before anything inflates it whole.
// Every entry is inflated here as a stream with a running byte count; only a zip that stays
// within the bound is handed to mammoth, rebuilt from the bytes already checked.
import { Unzip, UnzipInflate, zipSync, type Zippable } from "fflate";
import mammoth from "mammoth";
import { DocumentRejected } from "../errors";
import { htmlToSegments } from "./html";
import type { ExtractedDocument } from "./types";

/** Inflated size beyond which a DOCX is refused (real documents are a few MB unzipped). */
export const MAX_UNZIPPED_BYTES = 64 * 1024 * 1024;
/** Inflated size that may exceed this multiple of the upload only if it is small anyway. */
const MAX_RATIO = 200;

const zipBomb = () =>
  new DocumentRejected("zip_bomb", 'This DOCX expands to far more data than a document holds when unzipped (a "zip bomb"), so it was not opened.');

/** Inflates every entry, refusing as soon as the total passes the bound. */
export function inflateBounded(bytes: Uint8Array, maxBytes = MAX_UNZIPPED_BYTES): Record<string, Uint8Array> {
  const limit = Math.min(maxBytes, Math.max(8 * 1024 * 1024, bytes.length * MAX_RATIO));
  const files: Record<string, Uint8Array> = {};
  let total = 0;
  let refused: DocumentRejected | null = null;
  let failed: unknown = null;
  const unzipper = new Unzip((file) => {
    const chunks: Uint8Array[] = [];
    file.ondata = (error, chunk, final) => {
      if (error) {
        failed = error;
        return;
      }
      total += chunk.length;
      if (total > limit) {
        refused ??= zipBomb();
        file.terminate();
        return;
      }
      chunks.push(chunk);
      if (final) files[file.name] = concat(chunks);
    };
    if (!refused) file.start();
  });
  unzipper.register(UnzipInflate);
  try {
    unzipper.push(bytes, true);
  } catch (error) {
    failed = error;
  }
  if (refused) throw refused;
  if (failed)
    throw new DocumentRejected("corrupt", "This DOCX is damaged (its zip archive cannot be read). Open it in Word and save a new copy, then upload that.");
  return files;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export async function extractDocx(bytes: Uint8Array): Promise<ExtractedDocument> {
  const files = inflateBounded(bytes);
  if (!files["word/document.xml"]) throw new DocumentRejected("corrupt", "This DOCX has no document body (word/document.xml), so it cannot be read.");
  const checked = zipSync(files as Zippable, { level: 0 });
  let html: string;
  try {
    ({ value: html } = await mammoth.convertToHtml({ buffer: Buffer.from(checked) }));
  } catch {
    throw new DocumentRejected("corrupt", "This DOCX could not be read. Open it in Word and save a new copy, then upload that.");
  }
  return { segments: htmlToSegments(html), pageCount: null };
}
