// Real documents for the tests, generated on the spot: multi-page PDFs (with headings set in a
// larger font), DOCX files (a real zip with the parts Word writes), and the broken ones people
// upload by mistake or on purpose: encrypted, corrupt, scanned (hostile ones: test/hostile-documents.ts).
import { zipSync } from "fflate";
import { PDFDocument, StandardFonts } from "pdf-lib";

export interface PdfPage {
  heading?: string;
  paragraphs: string[];
}

/** A PDF whose pages hold the given text, headings in 20 pt over 11 pt body text. */
export async function makePdf(pages: PdfPage[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  for (const content of pages) {
    const page = doc.addPage([595, 842]);
    let y = 790;
    if (content.heading) {
      page.drawText(content.heading, { x: 50, y, font: bold, size: 20 });
      y -= 36;
    }
    for (const paragraph of content.paragraphs) {
      for (const line of wrap(paragraph, 90)) {
        if (y < 50) break;
        page.drawText(line, { x: 50, y, font, size: 11 });
        y -= 15;
      }
      y -= 10;
    }
  }
  return doc.save({ useObjectStreams: false });
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A PDF with a standard security handler whose user password is not empty: PDF.js asks for it. */
export async function makeEncryptedPdf(): Promise<Uint8Array> {
  const text = new TextDecoder("latin1").decode(await makePdf([{ paragraphs: ["Top secret figures."] }]));
  const encrypted = text.replace(
    /trailer\s*<</,
    `trailer\n<< /Encrypt << /Filter /Standard /V 1 /R 2 /O <${"ab".repeat(32)}> /U <${"cd".repeat(32)}> /P -4 >> /ID [<${"01".repeat(16)}> <${"01".repeat(16)}>]`,
  );
  return new Uint8Array(Buffer.from(encrypted, "latin1"));
}

// A 1×1 PNG: a "scanned" page is an image with no text layer.
const PIXEL = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

export async function makeScannedPdf(pages = 2): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const image = await doc.embedPng(PIXEL);
  for (let i = 0; i < pages; i++) doc.addPage([595, 842]).drawImage(image, { x: 0, y: 0, width: 595, height: 842 });
  return doc.save();
}

export const corruptPdf = () =>
  new Uint8Array(Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ngarbage that is not a PDF at all\n%%EOF"));

const xmlEscape = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

export interface DocxBlock {
  heading?: string;
  paragraph?: string;
}

/** A DOCX with headings (style "heading 1") and paragraphs, as Word writes the essential parts. */
export function makeDocx(blocks: DocxBlock[], extra: Record<string, Uint8Array> = {}): Uint8Array {
  const body = blocks
    .map((b) =>
      b.heading
        ? `<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>${xmlEscape(b.heading)}</w:t></w:r></w:p>`
        : `<w:p><w:r><w:t xml:space="preserve">${xmlEscape(b.paragraph ?? "")}</w:t></w:r></w:p>`,
    )
    .join("");
  const enc = (text: string) => new TextEncoder().encode(text);
  return zipSync({
    "[Content_Types].xml": enc(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`,
    ),
    "_rels/.rels": enc(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
    ),
    "word/_rels/document.xml.rels": enc(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
    ),
    "word/styles.xml": enc(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>`,
    ),
    "word/document.xml": enc(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
    ),
    ...extra,
  });
}
