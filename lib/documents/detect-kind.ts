// Decides what a file is from its bytes (magic numbers, and for DOCX a real zip with the right
// parts), never from its name. The name's extension is only checked against what was found, so
// a program renamed to .pdf, or a PDF renamed to .txt, is refused with a clear reason.
import { unzipSync } from "fflate";
import type { DocumentKind } from "@/db/schema";
import { DocumentRejected } from "./errors";

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

const EXTENSIONS: Record<string, DocumentKind> = {
  pdf: "pdf",
  docx: "docx",
  md: "markdown",
  markdown: "markdown",
  txt: "text",
  text: "text",
  html: "html",
  htm: "html",
};

const LABELS: Record<DocumentKind, string> = { pdf: "a PDF", docx: "a Word document (.docx)", markdown: "Markdown", text: "plain text", html: "HTML" };

export const SUPPORTED_TYPES_SENTENCE = "Keel reads PDF, Word (.docx), Markdown, plain text and HTML files.";

export interface ZipEntry {
  name: string;
  compressedSize: number;
  size: number;
}

/** The zip's central directory (names and declared sizes), without inflating anything. */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  const entries: ZipEntry[] = [];
  unzipSync(bytes, {
    filter: (file) => {
      entries.push({ name: file.name, compressedSize: file.size, size: file.originalSize });
      return false;
    },
  });
  return entries;
}

function detectTextKind(bytes: Uint8Array): DocumentKind {
  const text = decodeText(bytes);
  const head = text.slice(0, 4096).trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html") || /<(head|body)[\s>]/.test(head)) return "html";
  const sample = text.slice(0, 20_000);
  const markdownSignals = [
    /^#{1,6}\s+\S/m,
    /^\s*[-*+]\s+\S/m,
    /^\s*\d+\.\s+\S/m,
    /\[[^\]]+\]\([^)]+\)/,
    /^```/m,
    /(\*\*|__)[^*_\n]+\1/,
    /^>\s+\S/m,
    /^\|.+\|\s*$/m,
  ].filter((pattern) => pattern.test(sample)).length;
  return markdownSignals >= 2 ? "markdown" : "text";
}

/**
 * Text as UTF-8 (or UTF-16 with a byte-order mark). Refuses what is not text at all: invalid
 * encodings or many control characters mean a binary file.
 */
export function decodeText(bytes: Uint8Array): string {
  let text: string;
  if (startsWith(bytes, [0xff, 0xfe])) text = new TextDecoder("utf-16le").decode(bytes.subarray(2));
  else if (startsWith(bytes, [0xfe, 0xff])) text = new TextDecoder("utf-16be").decode(bytes.subarray(2));
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      throw new DocumentRejected(
        "unsupported_type",
        `This file is not a document Keel can read: it is neither UTF-8 text nor a known format. ${SUPPORTED_TYPES_SENTENCE}`,
      );
    }
  }
  const sample = text.slice(0, 65_536);
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    if (code < 32 && code !== 9 && code !== 10 && code !== 13 && code !== 12) control++;
  }
  if (sample.length > 0 && control / sample.length > 0.01) {
    throw new DocumentRejected("unsupported_type", `This file looks binary, not like a document Keel can read. ${SUPPORTED_TYPES_SENTENCE}`);
  }
  return text;
}

function detectByContent(bytes: Uint8Array): DocumentKind {
  if (ascii(bytes, Math.min(bytes.length, 1024)).includes("%PDF-")) return "pdf";
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    let names: Set<string>;
    try {
      names = new Set(zipEntries(bytes).map((e) => e.name));
    } catch {
      throw new DocumentRejected("corrupt", "This file is a damaged zip archive (a .docx is a zip), so it cannot be read.");
    }
    if (names.has("[Content_Types].xml") && names.has("word/document.xml")) return "docx";
    throw new DocumentRejected("unsupported_type", `This file is a zip archive but not a Word document (.docx). ${SUPPORTED_TYPES_SENTENCE}`);
  }
  for (const binary of KNOWN_BINARIES) {
    if (startsWith(bytes, binary.signature)) {
      throw new DocumentRejected("unsupported_type", `This file is ${binary.name}, which Keel cannot analyse. ${binary.advice ?? SUPPORTED_TYPES_SENTENCE}`);
    }
  }
  return detectTextKind(bytes);
}

export function extensionOf(fileName: string): string | null {
  const match = /\.([a-z0-9]{1,10})$/i.exec(fileName);
  return match ? match[1]!.toLowerCase() : null;
}

const isTextKind = (kind: DocumentKind) => kind === "text" || kind === "markdown" || kind === "html";

/**
 * The document's kind from its bytes. The extension decides only between text flavours (a .md
 * file is Markdown even when it has no headings); any other disagreement is refused.
 */
export function detectDocumentKind(bytes: Uint8Array, fileName: string): DocumentKind {
  if (bytes.length === 0) throw new DocumentRejected("empty", "The file is empty: there is nothing to analyse.");
  const found = detectByContent(bytes);
  const extension = extensionOf(fileName);
  const claimed = extension ? EXTENSIONS[extension] : undefined;
  if (!claimed) return found;
  if (claimed === found) return found;
  if (isTextKind(claimed) && isTextKind(found)) return claimed;
  throw new DocumentRejected(
    "type_mismatch",
    `This file is named .${extension} but its content is ${LABELS[found]}. Rename it or export it again, then upload it.`,
  );
}
