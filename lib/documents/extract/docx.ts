// DOCX text through mammoth, after the zip and its XML have been checked under bounds. A DOCX is a
// zip, and mammoth (through JSZip and a DOM parser) trusts both: a directory declaring billions of
// entries, a part that inflates to gigabytes, or XML nested 100,000 deep would each hold or crash
// the thread reading it. So: the directory is read and held to its limits first (zip.ts), only the
// XML parts mammoth reads are inflated, each with an output limit out of one shared budget, every
// one of them is checked for size, DTDs and nesting depth (xml-limits.ts), and mammoth gets a new
// zip made of those checked parts alone. Images are never read (they carry no text).
import { zipSync, type Zippable } from "fflate";
import mammoth from "mammoth";
import { DocumentRejected } from "../errors";
import { htmlToSegments } from "./html";
import type { ExtractedDocument } from "./types";
import { assertXmlWithinLimits } from "./xml-limits";
import { DEFAULT_ZIP_LIMITS, readZipDirectory, readZipEntry, type ZipLimits } from "./zip";

/** Inflated size of all XML parts together beyond which a DOCX is refused (real ones: a few MB). */
const MAX_UNZIPPED_BYTES = 64 * 1024 * 1024;

const WHAT = "This DOCX";

function isXmlPart(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith(".xml") || lower.endsWith(".rels");
}

/** The XML parts of a DOCX, inflated and checked, by name. */
export function readDocxParts(bytes: Uint8Array, options: { maxUnzippedBytes?: number; zip?: ZipLimits } = {}): Map<string, Uint8Array> {
  const budget = options.maxUnzippedBytes ?? MAX_UNZIPPED_BYTES;
  const entries = readZipDirectory(bytes, WHAT, options.zip ?? DEFAULT_ZIP_LIMITS);
  if (!entries.has("word/document.xml")) throw new DocumentRejected("corrupt", `${WHAT} has no document body (word/document.xml), so it cannot be read.`);
  const parts = [...entries.values()].filter((entry) => isXmlPart(entry.name));
  const declared = parts.reduce((sum, entry) => sum + entry.size, 0);
  if (declared > budget) {
    throw new DocumentRejected(
      "zip_bomb",
      `${WHAT} could not be processed: its XML declares ${Math.round(declared / 1048576)} MB when unzipped, and Keel reads at most ${Math.round(budget / 1048576)} MB (a "zip bomb" guard).`,
    );
  }
  const text = new TextDecoder("utf-8");
  const files = new Map<string, Uint8Array>();
  let used = 0;
  for (const entry of parts) {
    const content = readZipEntry(bytes, entry, budget - used, WHAT);
    used += content.length;
    assertXmlWithinLimits(text.decode(content), entry.name, WHAT);
    files.set(entry.name, content);
  }
  return files;
}

export async function extractDocx(bytes: Uint8Array): Promise<ExtractedDocument> {
  const parts = readDocxParts(bytes);
  const checked = zipSync(Object.fromEntries(parts) as Zippable, { level: 0 });
  let html: string;
  try {
    ({ value: html } = await mammoth.convertToHtml(
      { buffer: Buffer.from(checked) },
      // Images carry no text, and their bytes were never unzipped.
      { convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: "" })) },
    ));
  } catch (error) {
    const detail = error instanceof Error ? ` (${error.message.slice(0, 160)})` : "";
    throw new DocumentRejected(
      "corrupt",
      `${WHAT} could not be processed: mammoth could not read its content${detail}. Open it in Word and save a new copy, then upload that.`,
    );
  }
  return { segments: htmlToSegments(html, WHAT), pageCount: null };
}
