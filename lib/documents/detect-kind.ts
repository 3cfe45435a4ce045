// Decides what a file is from its first bytes (magic numbers; for a zip, the names in the first
// few local headers), never from its name and never from more than a bounded prefix: the upload
// request reads no archive directory and runs no parser. The name's extension is only checked
// against what was found, so a program renamed to .pdf, or a PDF renamed to .txt, is refused with
// a clear reason. Whether a DOCX really holds a document is decided later, off the request path.
import type { DocumentKind } from "@/db/schema";
import { decodeAs, decodeTextBytes, detectTextEncoding } from "@/lib/text/decode";
import { DocumentRejected } from "./errors";

/** How much of an upload the type is decided from. */
export const SNIFF_BYTES = 64 * 1024;
/** Local headers of a zip looked at, at most. */
const MAX_SNIFFED_ZIP_ENTRIES = 16;

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0) => signature.every((b, i) => bytes[offset + i] === b);
const ascii = (bytes: Uint8Array, length: number) => new TextDecoder("latin1").decode(bytes.subarray(0, length));

/** Binary formats people try to upload, named so the refusal says what the file is. */
const KNOWN_BINARIES: { name: string; signature: number[]; advice?: string }[] = [
  { name: "a legacy Word .doc file", signature: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], advice: "Save it as .docx or PDF and upload that." },
  { name: "a PNG image", signature: [0x89, 0x50, 0x4e, 0x47] },
  { name: "a JPEG image", signature: [0xff, 0xd8, 0xff] },
  { name: "a GIF image", signature: [0x47, 0x49, 0x46, 0x38] },
  { name: "a program (executable)", signature: [0x4d, 0x5a] },
  { name: "a program (executable)", signature: [0x7f, 0x45, 0x4c, 0x46] },
  { name: "a gzip archive", signature: [0x1f, 0x8b] },
  { name: "an RTF file", signature: [0x7b, 0x5c, 0x72, 0x74, 0x66], advice: "Save it as .docx or PDF and upload that." },
];

// A Map, not an object: an extension such as "constructor" must not find Object's members.
const EXTENSIONS = new Map<string, DocumentKind>([
  ["pdf", "pdf"],
  ["docx", "docx"],
  ["md", "markdown"],
  ["markdown", "markdown"],
  ["txt", "text"],
  ["text", "text"],
  ["html", "html"],
  ["htm", "html"],
]);

const LABELS: Record<DocumentKind, string> = { pdf: "a PDF", docx: "a Word document (.docx)", markdown: "Markdown", text: "plain text", html: "HTML" };

const SUPPORTED_TYPES_SENTENCE = "Keel reads PDF, Word (.docx), Markdown, plain text and HTML files.";

/** Other Office Open XML and OpenDocument files, by a part name only they have. */
const OTHER_ZIPPED_FORMATS: { prefix: string; name: string }[] = [
  { prefix: "xl/", name: "an Excel workbook (.xlsx)" },
  { prefix: "ppt/", name: "a PowerPoint presentation (.pptx)" },
  { prefix: "mimetype", name: "an OpenDocument file (.odt, .ods or .odp)" },
];

/**
 * Names in the first local headers of a zip, read from the prefix only: a signature, then the
 * name at its fixed place. Sizes are not trusted to skip ahead; the next signature is searched for.
 */
export function zipNamesInPrefix(prefix: Uint8Array, maxEntries = MAX_SNIFFED_ZIP_ENTRIES): string[] {
  const names: string[] = [];
  const buffer = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const signature = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
  const decoder = new TextDecoder("utf-8");
  for (let at = buffer.indexOf(signature); at >= 0 && names.length < maxEntries; at = buffer.indexOf(signature, at + 4)) {
    if (at + 30 > buffer.length) break;
    const nameLength = buffer.readUInt16LE(at + 26);
    if (at + 30 + nameLength > buffer.length) break;
    names.push(decoder.decode(buffer.subarray(at + 30, at + 30 + nameLength)));
  }
  return names;
}

function sniffZip(prefix: Uint8Array): DocumentKind {
  const names = zipNamesInPrefix(prefix);
  const other = OTHER_ZIPPED_FORMATS.find((format) => names.some((name) => name.startsWith(format.prefix)));
  if (other) throw new DocumentRejected("unsupported_type", `This file is ${other.name}, which Keel cannot analyse. ${SUPPORTED_TYPES_SENTENCE}`);
  if (names.some((name) => name === "[Content_Types].xml" || name === "_rels/.rels" || name.startsWith("word/"))) return "docx";
  throw new DocumentRejected("unsupported_type", `This file is a zip archive but not a Word document (.docx). ${SUPPORTED_TYPES_SENTENCE}`);
}

/** More than 1% control characters (other than tab, line breaks and form feed): a binary file. */
function looksBinary(text: string): boolean {
  const sample = text.slice(0, 65_536);
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    if (code < 32 && code !== 9 && code !== 10 && code !== 13 && code !== 12) control++;
  }
  return sample.length > 0 && control / sample.length > 0.01;
}

const binaryRefusal = () => new DocumentRejected("unsupported_type", `This file looks binary, not like a document Keel can read. ${SUPPORTED_TYPES_SENTENCE}`);

// Markdown's tell-tale lines. Each is anchored or bounded so no match can backtrack.
const MARKDOWN_SIGNALS = [
  /^#{1,6}[ \t]+\S/m,
  /^[ \t]{0,8}[-*+][ \t]+\S/m,
  /^[ \t]{0,8}\d{1,9}\.[ \t]+\S/m,
  /\[[^[\]\n]{1,500}\]\([^()\s]{1,2000}\)/,
  /^```/m,
  /\*\*[^*\n]{1,500}\*\*|__[^_\n]{1,500}__/,
  /^>[ \t]+\S/m,
  /^\|[^\n]{0,2000}\|[ \t]*$/m,
];

function detectTextKind(text: string): DocumentKind {
  const head = text.slice(0, 4096).trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html") || head.startsWith("<?xml") || /<(?:head|body)[\s>]/.test(head)) return "html";
  const sample = text.slice(0, 20_000);
  const signals = MARKDOWN_SIGNALS.filter((pattern) => pattern.test(sample)).length;
  return signals >= 2 ? "markdown" : "text";
}

function sniffByContent(prefix: Uint8Array, complete: boolean): DocumentKind {
  if (ascii(prefix, Math.min(prefix.length, 1024)).includes("%PDF-")) return "pdf";
  if (startsWith(prefix, [0x50, 0x4b, 0x03, 0x04])) return sniffZip(prefix);
  for (const binary of KNOWN_BINARIES) {
    if (startsWith(prefix, binary.signature)) {
      throw new DocumentRejected("unsupported_type", `This file is ${binary.name}, which Keel cannot analyse. ${binary.advice ?? SUPPORTED_TYPES_SENTENCE}`);
    }
  }
  const text = decodeAs(prefix, detectTextEncoding(prefix, complete));
  if (looksBinary(text)) throw binaryRefusal();
  return detectTextKind(text);
}

function extensionOf(fileName: string): string | null {
  const dot = fileName.lastIndexOf(".");
  if (dot < 0) return null;
  const extension = fileName.slice(dot + 1);
  return /^[a-z0-9]{1,10}$/i.test(extension) ? extension.toLowerCase() : null;
}

const isTextKind = (kind: DocumentKind) => kind === "text" || kind === "markdown" || kind === "html";

/**
 * The document's kind from the first bytes of the file (`complete`: they are the whole file).
 * The extension decides only between text flavours (a .md file is Markdown even when it has no
 * headings); any other disagreement is refused.
 */
export function sniffDocumentKind(prefix: Uint8Array, fileName: string, complete: boolean): DocumentKind {
  if (prefix.length === 0) throw new DocumentRejected("empty", "The file is empty: there is nothing to analyse.");
  const found = sniffByContent(prefix, complete);
  const extension = extensionOf(fileName);
  const claimed = extension ? EXTENSIONS.get(extension) : undefined;
  if (!claimed) return found;
  if (claimed === found) return found;
  if (isTextKind(claimed) && isTextKind(found)) return claimed;
  throw new DocumentRejected(
    "type_mismatch",
    `This file is named .${extension} but its content is ${LABELS[found]}. Rename it or export it again, then upload it.`,
  );
}

/** A whole file's kind (tests and callers that hold all of it). */
export function detectDocumentKind(bytes: Uint8Array, fileName: string): DocumentKind {
  return sniffDocumentKind(bytes.subarray(0, SNIFF_BYTES), fileName, bytes.length <= SNIFF_BYTES);
}

/** A text file decoded whatever its encoding (see lib/text/decode.ts), or its beginning (`complete` false); refuses what is binary. */
export function decodeText(bytes: Uint8Array, complete = true): string {
  const { text } = decodeTextBytes(bytes, complete);
  if (looksBinary(text)) throw binaryRefusal();
  return text;
}
