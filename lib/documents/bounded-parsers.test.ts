// Each parser that reads an upload, against the attacks built for it (test/hostile-documents.ts):
// limits are checked before work and enforced during it, and the refusal says what was wrong.
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { makeDocx, makePdf } from "@/test/document-fixtures";
import {
  deepHtml,
  deepXml,
  deflateBombStream,
  docxDeepNesting,
  docxDeflateBomb,
  markdownDataUri,
  markdownLongHeading,
  pdfInflatingStream,
  rawZip,
  zip64EntryCountBomb,
} from "@/test/hostile-documents";
import { detectDocumentKind, sniffDocumentKind, zipNamesInPrefix } from "./detect-kind";
import { readDocxParts } from "./extract/docx";
import { assertHtmlDepth, htmlToSegments } from "./extract/html";
import { atxHeading, extractMarkdown } from "./extract/markdown";
import { assertPageCount, assertPdfWithinLimits } from "./extract/pdf-limits";
import { assertXmlWithinLimits } from "./extract/xml-limits";
import { readZipDirectory, readZipEntry } from "./extract/zip";

const encode = (text: string) => new TextEncoder().encode(text);

describe("zip", () => {
  it("refuses a 128-byte archive whose ZIP64 directory declares five billion entries, before reading any", () => {
    const bomb = zip64EntryCountBomb();
    expect(bomb.length).toBeLessThan(160);
    expect(() => readZipDirectory(bomb, "This DOCX")).toThrow(
      expect.objectContaining({ code: "too_complex", message: expect.stringMatching(/declares 5,000,000,000 entries.*at most 10,000/) }),
    );
  });

  it("refuses a directory whose declared sizes add up past the bound, before inflating anything", () => {
    const zip = rawZip([
      { name: "a.xml", data: deflateRawSync(encode("<a/>")), method: 8, declaredSize: 700 * 1024 * 1024 },
      { name: "b.xml", data: deflateRawSync(encode("<b/>")), method: 8, declaredSize: 700 * 1024 * 1024 },
    ]);
    expect(() => readZipDirectory(zip, "This DOCX")).toThrow(
      expect.objectContaining({ code: "zip_bomb", message: expect.stringMatching(/more than 1,024 MB/) }),
    );
  });

  it("stops inflating at the bound whatever the headers claim", () => {
    // 1 GB of zeros in about 1 MB, declared as 2 KB.
    const zip = rawZip([{ name: "word/document.xml", data: deflateBombStream(1024), method: 8, declaredSize: 2048 }]);
    const entry = readZipDirectory(zip, "This DOCX").get("word/document.xml")!;
    expect(entry.size).toBe(2048);
    expect(() => readZipEntry(zip, entry, 8 * 1024 * 1024, "This DOCX")).toThrow(
      expect.objectContaining({ code: "zip_bomb", message: expect.stringMatching(/"word\/document\.xml" expands to more than 8 MB/) }),
    );
    // Within the bound, the content is what was stored.
    const small = rawZip([{ name: "x.xml", data: deflateRawSync(encode("<x>hello</x>")), method: 8, declaredSize: 1 }]);
    expect(new TextDecoder().decode(readZipEntry(small, readZipDirectory(small, "This DOCX").get("x.xml")!, 1024, "This DOCX"))).toBe("<x>hello</x>");
  });

  it("refuses a directory that points outside the file", () => {
    const zip = rawZip([{ name: "a.xml", data: encode("<a/>"), method: 0, declaredSize: 4 }]);
    const damaged = zip.slice(0, zip.length - 60);
    expect(() => readZipDirectory(damaged, "This DOCX")).toThrow(expect.objectContaining({ code: "corrupt" }));
  });

  it("keeps entry names such as __proto__ as plain names", () => {
    const zip = rawZip(["__proto__", "constructor", "toString"].map((name) => ({ name, data: encode(name), method: 0 as const, declaredSize: name.length })));
    const entries = readZipDirectory(zip, "This DOCX");
    expect([...entries.keys()]).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.getPrototypeOf(entries)).toBe(Map.prototype);
  });
});

describe("DOCX", () => {
  it("refuses a deflate bomb in its document, headers honest or lying", () => {
    expect(() => readDocxParts(docxDeflateBomb(256, false))).toThrow(
      expect.objectContaining({ code: "zip_bomb", message: expect.stringMatching(/declares 256 MB/) }),
    );
    expect(() => readDocxParts(docxDeflateBomb(256, true))).toThrow(
      expect.objectContaining({ code: "zip_bomb", message: expect.stringMatching(/word\/document\.xml" expands to more than/) }),
    );
  });

  it("refuses XML nested deeper than the bound, and a DTD, before mammoth sees them", () => {
    expect(() => readDocxParts(docxDeepNesting())).toThrow(
      expect.objectContaining({ code: "too_complex", message: expect.stringMatching(/word\/document\.xml nests elements more than 256 levels/) }),
    );
    expect(() => assertXmlWithinLimits('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "word/document.xml", "This DOCX")).toThrow(
      expect.objectContaining({ code: "too_complex", message: expect.stringMatching(/declares a DTD/) }),
    );
    expect(() => assertXmlWithinLimits("<a><b></a>", "word/document.xml", "This DOCX")).toThrow(
      expect.objectContaining({ code: "corrupt", message: expect.stringMatching(/not well-formed XML/) }),
    );
    // Nesting within the bound, self-closing tags included, is fine.
    expect(() => assertXmlWithinLimits(`${"<a><b/>".repeat(200)}${"</a>".repeat(200)}`, "p", "This DOCX")).not.toThrow();
  });

  it("reads only the XML parts of a real document", () => {
    const parts = readDocxParts(makeDocx([{ heading: "Intro" }, { paragraph: "Hello." }], { "word/media/image1.png": new Uint8Array(1000) }));
    expect([...parts.keys()].sort()).toEqual(["[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels", "word/document.xml", "word/styles.xml"]);
  });
});

describe("PDF", () => {
  it("refuses a stream that inflates past the bound, measured by zlib stopping at it", async () => {
    await expect(assertPdfWithinLimits(pdfInflatingStream(1024))).rejects.toMatchObject({
      code: "zip_bomb",
      message: expect.stringMatching(/compressed streams expands to more than 128 MB/),
    });
  });

  it("refuses too many objects and pages, and passes an ordinary PDF", async () => {
    const declared = encode("%PDF-1.7\n1 0 obj << >> endobj\ntrailer << /Size 4000000000 /Root 1 0 R >>\n%%EOF");
    await expect(assertPdfWithinLimits(declared)).rejects.toMatchObject({
      code: "too_complex",
      message: expect.stringMatching(/declares 4,000,000,000 objects/),
    });
    expect(() => assertPageCount(1_000_000)).toThrow(expect.objectContaining({ code: "too_complex", message: expect.stringMatching(/1,000,000 pages/) }));
    await expect(assertPdfWithinLimits(await makePdf([{ heading: "Fine", paragraphs: ["An ordinary page."] }]))).resolves.toBeUndefined();
  });
});

describe("HTML", () => {
  it("refuses nesting past the bound without recursing (HTML and XML alike)", () => {
    for (const page of [deepHtml(), deepXml()]) {
      expect(() => htmlToSegments(new TextDecoder().decode(page))).toThrow(
        expect.objectContaining({ code: "too_complex", message: expect.stringMatching(/nested more than 512 levels deep/) }),
      );
    }
  });

  it("counts implied closing tags as the tree builder does", () => {
    // An unclosed <li> is closed by the next <li>, an unclosed <p> by the next <p>: 2,000 are not 2,000 deep.
    expect(() => assertHtmlDepth(`<ul>${"<li>item".repeat(2_000)}</ul>${"<p>para".repeat(2_000)}`)).not.toThrow();
    expect(() => assertHtmlDepth(`${"<div>".repeat(600)}`)).toThrow(/nested more than 512/);
    expect(htmlToSegments("<h1>Title</h1><div><div><p>Body</p></div></div>")).toEqual([{ text: "Title\n\nBody", heading: "Title", page: null }]);
  });
});

describe("Markdown", () => {
  it("reads ATX headings without backtracking, a 32 KB one included", () => {
    expect(atxHeading("## Title ##")).toBe("Title");
    expect(atxHeading("# C#")).toBe("C#");
    expect(atxHeading("#hashtag")).toBeNull();
    expect(atxHeading("    # indented code")).toBeNull();
    expect(atxHeading(`# ${"#".repeat(40_000)} x`)).toBe(`${"#".repeat(40_000)} x`);
    const { segments } = extractMarkdown(new TextDecoder().decode(markdownLongHeading()));
    expect(segments[0]!.heading).toHaveLength(32 * 1024);
    expect(segments.map((s) => s.heading?.slice(0, 4))).toEqual([segments[0]!.heading!.slice(0, 4), "Next"]);
  });

  it("drops inline data URIs, keeping the link text", () => {
    const { segments } = extractMarkdown(new TextDecoder().decode(markdownDataUri(1)));
    expect(segments.map((s) => s.text).join("\n")).toBe("# Figure\n\nThe chart below.\n\n![chart]()\n\nEnd of the note.");
  });
});

describe("type sniffing reads a bounded prefix only", () => {
  it("names a zip's parts from its first local headers, never its directory", () => {
    const docx = makeDocx([{ paragraph: "Hi" }]);
    expect(zipNamesInPrefix(docx)).toContain("word/document.xml");
    // The five-billion-entry archive sniffs as a DOCX in no time: its directory is not read here.
    expect(detectDocumentKind(zip64EntryCountBomb(), "report.docx")).toBe("docx");
    expect(() => sniffDocumentKind(rawZip([{ name: "xl/workbook.xml", data: encode("<x/>"), method: 0, declaredSize: 4 }]), "a.docx", true)).toThrow(
      /an Excel workbook/,
    );
  });

  it("treats names such as __proto__ and constructor as names", () => {
    expect(detectDocumentKind(encode("# __proto__\n\n- constructor\n- toString"), "__proto__.constructor")).toBe("markdown");
    expect(detectDocumentKind(encode("plain words"), "notes.valueof")).toBe("text");
  });
});
