// Originals as people get them back: a download under a safe name, previews that run nothing
// (HTML sandboxed, PDF inline), Markdown and text read for the page, a 304 for what the browser
// has, and another tenant's id answered as if it did not exist.
import { parse as parseDisposition } from "content-disposition";
import { beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "@/test/fixtures";
import { makeDocx, makePdf } from "@/test/document-fixtures";
import { acceptUpload } from "./upload";
import { getBlobStore, type BlobStore } from "@/lib/storage";
import { originalResponse, readTextPreview, TEXT_PREVIEW_MAX_CHARS } from "./originals";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;
let stranger: Owner;
const files: Record<string, { id: string; bytes: Uint8Array }> = {};
const text = (s: string) => new TextEncoder().encode(s);
const get = (headers: Record<string, string> = {}) => new Request("http://keel.test/x", { headers });

async function upload(key: string, fileName: string, bytes: Uint8Array) {
  const { document } = await acceptUpload(owner, { fileName, bytes, collectionId: null });
  files[key] = { id: document.id, bytes };
}

beforeAll(async () => {
  owner = await createTenant("Originals owner");
  stranger = await createTenant("Originals stranger");
  await upload(
    "html",
    'Q1 "board" report.html',
    text(`<!doctype html><html><body><h1>Board</h1><script>parent.document.title="owned"</script><img src="https://tracker.example/p.gif"></body></html>`),
  );
  await upload("pdf", "Résumé — 2024.pdf", await makePdf([{ heading: "Overview", paragraphs: ["The wind farm produced 12 GWh."] }]));
  await upload("docx", "handbook.docx", makeDocx([{ heading: "Safety" }, { paragraph: "Wear a harness." }]));
  await upload("markdown", "notes.md", text(`# Notes\n\n- one\n- two\n\n${"A line of the notes that goes on.\n".repeat(8_000)}`));
});

describe("downloading the original", () => {
  it("answers the exact bytes as an attachment under the document's name, sniffing and scripts off", async () => {
    for (const key of ["html", "pdf", "docx", "markdown"]) {
      const response = await originalResponse(owner, files[key]!.id, "attachment", get());
      expect(response.status).toBe(200);
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(files[key]!.bytes);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
      expect(response.headers.get("cache-control")).toBe("private, no-cache");
      expect(parseDisposition(response.headers.get("content-disposition")!).type).toBe("attachment");
    }
  });

  it("names the file safely: quotes escaped, non-ASCII in filename* with an ASCII fallback", async () => {
    const html = await originalResponse(owner, files.html!.id, "attachment", get());
    const htmlHeader = html.headers.get("content-disposition")!;
    expect(htmlHeader).toBe('attachment; filename="Q1 \\"board\\" report.html"');
    expect(parseDisposition(htmlHeader).parameters.filename).toBe('Q1 "board" report.html');
    const pdfHeader = (await originalResponse(owner, files.pdf!.id, "attachment", get())).headers.get("content-disposition")!;
    expect(pdfHeader).toMatch(/^attachment; filename="R\?sum\? \? 2024\.pdf"; filename\*=UTF-8''R%C3%A9sum%C3%A9%20%E2%80%94%202024\.pdf$/);
    expect(parseDisposition(pdfHeader).parameters.filename).toBe("Résumé — 2024.pdf");
  });

  it("answers 304 with no body when the browser already has this content", async () => {
    const first = await originalResponse(owner, files.pdf!.id, "attachment", get());
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await originalResponse(owner, files.pdf!.id, "attachment", get({ "if-none-match": `W/"other", ${etag}` }));
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await originalResponse(owner, files.pdf!.id, "attachment", get({ "if-none-match": '"other"' }))).status).toBe(200);
  });
});

describe("previewing the original in the browser", () => {
  it("serves HTML into a sandbox that runs no script and loads nothing from outside", async () => {
    const response = await originalResponse(owner, files.html!.id, "inline", get());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const policy = response.headers
      .get("content-security-policy")!
      .split(";")
      .map((d) => d.trim());
    expect(policy[0]).toBe("sandbox");
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'self'");
    expect(policy.some((d) => /script-src|allow-scripts|allow-same-origin|https?:/.test(d))).toBe(false);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(parseDisposition(response.headers.get("content-disposition")!).type).toBe("inline");
  });

  it("serves a PDF inline for the browser's viewer", async () => {
    const response = await originalResponse(owner, files.pdf!.id, "inline", get());
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toMatch(/^inline; filename=/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(files.pdf!.bytes);
  });

  it("has no browser preview for other kinds: the page renders Markdown and text itself, Word is downloaded", async () => {
    await expect(originalResponse(owner, files.docx!.id, "inline", get())).rejects.toMatchObject({ code: "not_found" });
    await expect(originalResponse(owner, files.markdown!.id, "inline", get())).rejects.toMatchObject({ code: "not_found" });
  });

  it("reads the beginning of a long Markdown original, cut at a line end", async () => {
    const preview = await readTextPreview(owner, files.markdown!.id);
    expect(preview.truncated).toBe(true);
    expect(preview.text.startsWith("# Notes\n\n- one\n- two")).toBe(true);
    expect(preview.text.length).toBeLessThanOrEqual(TEXT_PREVIEW_MAX_CHARS);
    expect(preview.text.endsWith("goes on.")).toBe(true);
    await expect(readTextPreview(owner, files.pdf!.id)).rejects.toMatchObject({ code: "invalid_input" });
  });
});

describe("large originals", () => {
  it("are served a piece at a time with their length, and previewed from their beginning only", async () => {
    // 3 MB of Markdown whose characters take three bytes each in UTF-8.
    const line = "風力発電所は毎日町に電気を供給しています。\n";
    const bytes = text(`# 風力\n\n${line.repeat(Math.ceil((3 * 1024 * 1024) / (line.length * 3)))}`);
    await upload("large", "large.md", bytes);
    const store = getBlobStore();
    const reads: string[] = [];
    const watched: BlobStore = {
      ...store,
      get: (key) => (reads.push("get"), store.get(key)),
      open: (key) => (reads.push("open"), store.open(key)),
      readStart: (key, maxBytes) => (reads.push(`readStart ${maxBytes}`), store.readStart(key, maxBytes)),
    };

    const response = await originalResponse(owner, files.large!.id, "attachment", get(), { store: watched });
    expect(response.headers.get("content-length")).toBe(String(bytes.length));
    const pieces: Uint8Array[] = [];
    const reader = response.body!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) pieces.push(read.value);
    expect(pieces.length).toBeGreaterThan(8);
    expect(Buffer.concat(pieces).equals(Buffer.from(bytes))).toBe(true);

    const preview = await readTextPreview(owner, files.large!.id, { store: watched });
    expect(preview.truncated).toBe(true);
    expect(preview.text.startsWith(`# 風力\n\n${line}`)).toBe(true);
    expect(preview.text.length).toBeLessThanOrEqual(TEXT_PREVIEW_MAX_CHARS);
    // The cut ends a line: no character broken at the end of the bytes read.
    expect(preview.text).not.toContain("\uFFFD");
    expect(reads).toEqual(["open", `readStart ${TEXT_PREVIEW_MAX_CHARS * 4 + 4}`]);
  });
});

describe("another tenant", () => {
  it("gets not_found for every original, however it asks", async () => {
    for (const key of ["html", "pdf", "docx", "markdown"]) {
      await expect(originalResponse(stranger, files[key]!.id, "attachment", get())).rejects.toMatchObject({ code: "not_found", status: 404 });
      await expect(originalResponse(stranger, files[key]!.id, "inline", get())).rejects.toMatchObject({ code: "not_found", status: 404 });
    }
    await expect(readTextPreview(stranger, files.markdown!.id)).rejects.toMatchObject({ code: "not_found" });
    // Even with the right validator it learns nothing (no 304 for a document it cannot see).
    const etag = (await originalResponse(owner, files.pdf!.id, "attachment", get())).headers.get("etag")!;
    await expect(originalResponse(stranger, files.pdf!.id, "attachment", get({ "if-none-match": etag }))).rejects.toMatchObject({ code: "not_found" });
  });
});
