// Hostile uploads, generated on the spot (no binary fixtures): each is a file an attacker could
// send from any workspace to stall, exhaust or crash the processes that serve every workspace.
// Used by the parser unit tests, the hostile-upload suite (e2e/hostile-uploads.spec.ts) and
// `npm run bench:hostile`.
import { deflateRawSync, constants as zlib } from "node:zlib";
import { unzipSync } from "fflate";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { makeDocx } from "./document-fixtures";

const encode = (text: string) => new TextEncoder().encode(text);

/**
 * A raw deflate stream that inflates to `megabytes` MB of zeros, made without ever holding them:
 * one megabyte compressed with a full flush (so it depends on nothing before it) repeated, then an
 * empty final block. About 1 KB per megabyte.
 */
export function deflateBombStream(megabytes: number): Uint8Array {
  const segment = deflateRawSync(new Uint8Array(1024 * 1024), { flush: zlib.Z_FULL_FLUSH, finishFlush: zlib.Z_FULL_FLUSH });
  const out = new Uint8Array(segment.length * megabytes + 2);
  for (let i = 0; i < megabytes; i++) out.set(segment, i * segment.length);
  // A final fixed-Huffman block holding only its end-of-block code.
  out.set([0x03, 0x00], segment.length * megabytes);
  return out;
}

function u16(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff];
}
function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}
function u64(value: bigint): number[] {
  return [...u32(Number(value & 0xffffffffn)), ...u32(Number(value >> 32n))];
}

interface RawEntry {
  name: string;
  /** Stored (method 0) or deflated (8) bytes, exactly as they go in the archive. */
  data: Uint8Array;
  method: 0 | 8;
  /** What the headers claim; may lie. */
  declaredSize: number;
}

/** A zip written by hand, so its headers can say whatever an attacker wants them to. */
export function rawZip(entries: RawEntry[]): Uint8Array {
  const parts: number[][] = [];
  const central: number[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = [...encode(entry.name)];
    const local = [
      ...u32(0x04034b50),
      ...u16(20),
      ...u16(0),
      ...u16(entry.method),
      ...u16(0),
      ...u16(0),
      ...u32(0),
      ...u32(entry.data.length),
      ...u32(entry.declaredSize),
      ...u16(name.length),
      ...u16(0),
      ...name,
    ];
    central.push(
      ...u32(0x02014b50),
      ...u16(20),
      ...u16(20),
      ...u16(0),
      ...u16(entry.method),
      ...u16(0),
      ...u16(0),
      ...u32(0),
      ...u32(entry.data.length),
      ...u32(entry.declaredSize),
      ...u16(name.length),
      ...u16(0),
      ...u16(0),
      ...u16(0),
      ...u16(0),
      ...u32(0),
      ...u32(offset),
      ...name,
    );
    parts.push(local);
    offset += local.length + entry.data.length;
  }
  const end = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(entries.length), ...u16(entries.length), ...u32(central.length), ...u32(offset), ...u16(0)];
  const total = offset + central.length + end.length;
  const out = new Uint8Array(total);
  let at = 0;
  entries.forEach((entry, i) => {
    out.set(parts[i]!, at);
    at += parts[i]!.length;
    out.set(entry.data, at);
    at += entry.data.length;
  });
  out.set(central, at);
  out.set(end, at + central.length);
  return out;
}

/**
 * A "DOCX" of about 128 bytes whose ZIP64 end-of-central-directory record declares `entries`
 * entries (default: five billion) in a directory that is not there.
 */
export function zip64EntryCountBomb(entries = 5_000_000_000n): Uint8Array {
  const name = [...encode("word/document.xml")];
  const local = [
    ...u32(0x04034b50),
    ...u16(45),
    ...u16(0),
    ...u16(0),
    ...u16(0),
    ...u16(0),
    ...u32(0),
    ...u32(0),
    ...u32(0),
    ...u16(name.length),
    ...u16(0),
    ...name,
  ];
  const directoryOffset = local.length;
  const zip64End = [
    ...u32(0x06064b50),
    ...u64(44n),
    ...u16(45),
    ...u16(45),
    ...u32(0),
    ...u32(0),
    ...u64(entries),
    ...u64(entries),
    ...u64(46n * entries),
    ...u64(BigInt(directoryOffset)),
  ];
  const locator = [...u32(0x07064b50), ...u32(0), ...u64(BigInt(directoryOffset)), ...u32(1)];
  const end = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(0xffff), ...u16(0xffff), ...u32(0xffffffff), ...u32(0xffffffff), ...u16(0)];
  return new Uint8Array([...local, ...zip64End, ...locator, ...end]);
}

/** The parts of a small real DOCX, with word/document.xml swapped for the given bytes. */
function docxWithDocument(document: { data: Uint8Array; method: 0 | 8; declaredSize: number }): Uint8Array {
  const base = makeDocx([{ heading: "Report" }, { paragraph: "Nothing to see here." }]);
  const parts = unzipSync(base);
  return rawZip(
    Object.entries(parts).map(([name, data]) =>
      name === "word/document.xml" ? { name, ...document } : { name, data: deflateRawSync(data), method: 8 as const, declaredSize: data.length },
    ),
  );
}

/**
 * A DOCX whose document.xml inflates to `megabytes` MB of zeros. With `lie`, its headers claim the
 * part is 2 KB, so only a bound enforced while inflating can stop it.
 */
export function docxDeflateBomb(megabytes = 2048, lie = true): Uint8Array {
  return docxWithDocument({ data: deflateBombStream(megabytes), method: 8, declaredSize: lie ? 2048 : Math.min(megabytes * 1024 * 1024, 0xfffffffe) });
}

/** A DOCX whose body nests `depth` elements inside each other: recursive XML readers overflow. */
export function docxDeepNesting(depth = 200_000): Uint8Array {
  const xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${"<w:p><w:r>".repeat(depth / 2)}<w:t>deep</w:t>${"</w:r></w:p>".repeat(depth / 2)}</w:body></w:document>`;
  const data = encode(xml);
  return docxWithDocument({ data: deflateRawSync(data), method: 8, declaredSize: data.length });
}

/** A DOCX whose styles and text use names that are also JavaScript object keys. */
export function docxPrototypeNames(): Uint8Array {
  return makeDocx([{ heading: "__proto__" }, { paragraph: "constructor prototype __proto__ hasOwnProperty toString valueOf" }, { heading: "constructor" }]);
}

/** A PDF whose one page's content stream inflates to `megabytes` MB (zeros, which PDF reads as white space). */
export function pdfInflatingStream(megabytes = 2048): Uint8Array {
  const body = deflateBombStream(megabytes);
  // zlib wrapping: header, the raw stream, and an Adler-32 nobody checks before inflating it all.
  const stream = new Uint8Array(body.length + 6);
  stream.set([0x78, 0x9c]);
  stream.set(body, 2);
  const head = [
    "%PDF-1.7",
    "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj",
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >> endobj",
    `4 0 obj << /Length ${stream.length} /Filter /FlateDecode >> stream`,
    "",
  ].join("\n");
  const tail = "\nendstream\nendobj\ntrailer << /Root 1 0 R /Size 5 >>\n%%EOF\n";
  const out = new Uint8Array(head.length + stream.length + tail.length);
  out.set(encode(head));
  out.set(stream, head.length);
  out.set(encode(tail), head.length + stream.length);
  return out;
}

/** A PDF whose text is one line of `length` characters (letters only: one "word" to a tokenizer). */
export async function pdfOneLongLine(length = 242_000): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  // Pieces set side by side on one baseline: PDF.js joins them into one line with no break.
  const word = pseudoWord(length);
  for (let at = 0, x = 0; at < length; at += 1_000, x += 0.5) page.drawText(word.slice(at, at + 1_000), { x, y: 400, font, size: 0.001 });
  return doc.save({ useObjectStreams: false });
}

/** Letters from a fixed generator: a word no tokenizer has seen, of `length` characters. */
export function pseudoWord(length: number, seed = 7): string {
  let state = seed;
  let out = "";
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out += letters[(state >>> 16) % 26];
    if (out.length >= 4096) {
      parts.push(out);
      out = "";
    }
  }
  parts.push(out);
  return parts.join("");
}

/** HTML nesting `depth` elements inside each other. */
export function deepHtml(depth = 100_000): Uint8Array {
  return encode(`<!doctype html><html><body>${"<div>".repeat(depth)}deep text${"</div>".repeat(depth)}</body></html>`);
}

/** About `megabytes` MB of ordinary HTML paragraphs. */
export function largeHtml(megabytes = 10): Uint8Array {
  const paragraph = "<p>The operations team reported gearbox vibration at the northern sites after the firmware update.</p>\n";
  const count = Math.ceil((megabytes * 1024 * 1024) / paragraph.length);
  return encode(`<!doctype html><html><body><h1>Operations log</h1>\n${paragraph.repeat(count)}</body></html>`);
}

/** XML nested `depth` deep, served as an XHTML page. */
export function deepXml(depth = 100_000): Uint8Array {
  return encode(
    `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>${"<section>".repeat(depth)}text${"</section>".repeat(depth)}</body></html>`,
  );
}

/** Markdown whose first heading is one line of `length` characters. */
export function markdownLongHeading(length = 32 * 1024): Uint8Array {
  return encode(`# ${pseudoWord(length)}\n\nThe body of the note is short.\n\n## Next\n\nMore text.\n`);
}

/** Two sentences with `megabytes` MB of spaces between them. */
export function textOfSpaces(megabytes = 2): Uint8Array {
  return encode(`The note begins here.${" ".repeat(megabytes * 1024 * 1024)}The note ends here.`);
}

/** One word of `megabytes` MB. */
export function textOneWord(megabytes = 1): Uint8Array {
  return encode(pseudoWord(megabytes * 1024 * 1024));
}

/** `megabytes` MB of ordinary prose on one line (sentences, no line breaks). */
export function textOneLine(megabytes = 3): Uint8Array {
  const sentence = "the plant reports output to the control room every day. ";
  return encode(sentence.repeat(Math.ceil((megabytes * 1024 * 1024) / sentence.length)));
}

/** Markdown with an image given as a data URI of `megabytes` MB (a blank PNG's base64 is mostly "A"). */
export function markdownDataUri(megabytes = 4): Uint8Array {
  return encode(`# Figure\n\nThe chart below.\n\n![chart](data:image/png;base64,${"A".repeat(megabytes * 1024 * 1024)})\n\nEnd of the note.\n`);
}

/** Markdown whose headings, words and entity-like text are JavaScript object keys. */
export function markdownPrototypeNames(): Uint8Array {
  return encode(
    "# __proto__\n\nconstructor prototype __proto__ hasOwnProperty toString valueOf &__proto__; &constructor;\n\n# constructor\n\nThe prototype chain is plain text here.\n",
  );
}
