// Text files in the encodings people still have: decoded, not refused.
import { describe, expect, it } from "vitest";
import { decodeTextBytes, detectTextEncoding } from "./decode";

const sentence = "Café crème, naïve façade: the élève said “très bien” — über Größe. ";

function utf16(text: string, endian: "le" | "be", bom: boolean): Uint8Array {
  const units = Buffer.from(text, "utf16le");
  if (endian === "be") units.swap16();
  const mark = endian === "le" ? [0xff, 0xfe] : [0xfe, 0xff];
  return new Uint8Array(bom ? Buffer.concat([Buffer.from(mark), units]) : units);
}

describe("text encodings", () => {
  it.each([
    ["UTF-8", new TextEncoder().encode(sentence.repeat(5)), "utf-8"],
    ["UTF-8 with a byte-order mark", new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(sentence)]), "utf-8"],
    ["UTF-16 LE with a BOM", utf16(sentence, "le", true), "utf-16le"],
    ["UTF-16 BE with a BOM", utf16(sentence, "be", true), "utf-16be"],
    ["UTF-16 LE without a BOM", utf16(sentence.repeat(3), "le", false), "utf-16le"],
    ["UTF-16 BE without a BOM", utf16(sentence.repeat(3), "be", false), "utf-16be"],
  ])("%s", (_label, bytes, encoding) => {
    const decoded = decodeTextBytes(bytes);
    expect(decoded.encoding).toBe(encoding);
    expect(decoded.text.startsWith(sentence)).toBe(true);
    expect(decoded.text).not.toContain("\uFEFF");
  });

  it("decodes Latin-1 and Windows-1252 (curly quotes, dashes) instead of refusing them", () => {
    const latin1 = new Uint8Array(Buffer.from(sentence.replace(/[“”—]/g, '"').repeat(4), "latin1"));
    expect(decodeTextBytes(latin1).text).toBe(sentence.replace(/[“”—]/g, '"').repeat(4));
    // “ ” — are 0x93 0x94 0x97 in Windows-1252, and undefined in ISO-8859-1.
    const cp1252 = new Uint8Array([
      ...Buffer.from("He said ", "latin1"),
      0x93,
      ...Buffer.from("très bien", "latin1"),
      0x94,
      0x20,
      0x97,
      0x20,
      ...Buffer.from("voilà.", "latin1"),
    ]);
    expect(decodeTextBytes(cp1252).text).toBe("He said “très bien” — voilà.");
  });

  it("reads a prefix that ends inside a UTF-8 character as UTF-8", () => {
    const bytes = new TextEncoder().encode("résumé");
    expect(detectTextEncoding(bytes.subarray(0, 2), false)).toBe("utf-8");
  });
});
