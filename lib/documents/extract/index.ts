// Text out of an original, whatever its kind, cleaned the one way Keel stores text. A document
// with no text at all (a scanned PDF) is refused with that reason, not retried. This runs in the
// document worker threads (lib/documents/processing), never on a request or job's own thread.
import type { DocumentKind } from "@/db/schema";
import { cleanText } from "../clean-text";
import { decodeText } from "../detect-kind";
import { DocumentRejected } from "../errors";
import { extractDocx } from "./docx";
import { htmlToSegments } from "./html";
import { extractMarkdown, extractPlainText } from "./markdown";
import { extractPdf } from "./pdf";
import type { ExtractedDocument, ExtractProgress } from "./types";

export type { ExtractedDocument, TextSegment } from "./types";

/** Longest heading kept with a passage. */
const MAX_HEADING_CHARS = 300;

async function extractRaw(bytes: Uint8Array, kind: DocumentKind, onProgress?: ExtractProgress): Promise<ExtractedDocument> {
  switch (kind) {
    case "pdf":
      return extractPdf(bytes, onProgress);
    case "docx":
      return extractDocx(bytes);
    case "html":
      return { segments: htmlToSegments(decodeText(bytes)), pageCount: null };
    case "markdown":
      return extractMarkdown(decodeText(bytes));
    case "text":
      return extractPlainText(decodeText(bytes));
  }
}

function hasLetterOrDigit(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

export async function extractDocument(bytes: Uint8Array, kind: DocumentKind, onProgress?: ExtractProgress): Promise<ExtractedDocument> {
  const raw = await extractRaw(bytes, kind, onProgress);
  const segments = raw.segments
    .map((segment) => ({
      ...segment,
      text: cleanText(segment.text),
      // Cut before cleaning: a 32 KB heading line is cleaned no further than its first 300 characters.
      heading: segment.heading ? cleanText(segment.heading.slice(0, MAX_HEADING_CHARS * 2)).slice(0, MAX_HEADING_CHARS) || null : null,
    }))
    .filter((segment) => segment.text.length > 0);
  if (!segments.some((segment) => hasLetterOrDigit(segment.text))) {
    throw new DocumentRejected(
      "no_text",
      kind === "pdf"
        ? "No text found in this PDF: its pages look like scanned images. Keel cannot read text in images yet (no OCR); upload a PDF with a text layer."
        : "No text found in this file: there is nothing to analyse.",
    );
  }
  return { segments, pageCount: raw.pageCount };
}
