// PDF text, page by page, through unpdf (PDF.js). Lines set in a clearly larger font than the
// body are taken as headings, so chunks of a long report still say which section they are from.
// The file is held to its limits first (pdf-limits.ts): objects, inflated stream bytes, pages.
import { getDocumentProxy } from "unpdf";
import { DocumentRejected } from "../errors";
import { assertPageCount, assertPdfWithinLimits, DEFAULT_PDF_LIMITS, type PdfLimits } from "./pdf-limits";
import type { ExtractedDocument, ExtractProgress, TextSegment } from "./types";

interface Line {
  text: string;
  size: number;
}

interface TextItem {
  str: string;
  height: number;
  hasEOL: boolean;
}

const isTextItem = (item: object): item is TextItem => "str" in item;

function linesOf(items: TextItem[]): Line[] {
  const lines: Line[] = [];
  let text = "";
  let size = 0;
  for (const item of items) {
    text += item.str;
    size = Math.max(size, item.height);
    if (item.hasEOL) {
      lines.push({ text: text.trim(), size });
      text = "";
      size = 0;
    }
  }
  if (text.trim()) lines.push({ text: text.trim(), size });
  return lines.filter((line) => line.text.length > 0);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function describePdfError(error: unknown): DocumentRejected {
  const name = error instanceof Error ? error.name : "";
  if (name === "PasswordException") {
    return new DocumentRejected("encrypted", "This PDF is password-protected. Remove the password (print or export it to a new PDF), then upload it again.");
  }
  return new DocumentRejected("corrupt", "This PDF is damaged and could not be read. Open it in a PDF viewer and save a new copy, then upload that.");
}

export async function extractPdf(bytes: Uint8Array, onProgress?: ExtractProgress, limits: PdfLimits = DEFAULT_PDF_LIMITS): Promise<ExtractedDocument> {
  await assertPdfWithinLimits(bytes, limits);
  let pdf;
  try {
    // PDF.js takes ownership of the buffer it is given: hand it a copy.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, stopAtErrors: false, verbosity: 0 });
  } catch (error) {
    throw describePdfError(error);
  }
  try {
    assertPageCount(pdf.numPages, limits);
    const pages: Line[][] = [];
    for (let number = 1; number <= pdf.numPages; number++) {
      try {
        const page = await pdf.getPage(number);
        const content = await page.getTextContent();
        pages.push(linesOf((content.items as object[]).filter(isTextItem)));
        page.cleanup();
      } catch (error) {
        throw describePdfError(error);
      }
      if (number % 10 === 0 || number === pdf.numPages) await onProgress?.(number, pdf.numPages);
    }
    const body = median(pages.flat().map((line) => line.size));
    const segments: TextSegment[] = [];
    let heading: string | null = null;
    pages.forEach((lines, index) => {
      let buffer: string[] = [];
      const flush = () => {
        if (buffer.length > 0) segments.push({ text: buffer.join("\n"), heading, page: index + 1 });
        buffer = [];
      };
      for (const line of lines) {
        if (body > 0 && line.size >= body * 1.3 && line.text.length <= 120) {
          flush();
          heading = line.text;
        }
        buffer.push(line.text);
      }
      flush();
    });
    return { segments, pageCount: pdf.numPages };
  } finally {
    await pdf.destroy().catch(() => {});
  }
}
