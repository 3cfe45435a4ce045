// A document's original file as people get it back: downloaded (an attachment under a safe name)
// or previewed in the document page. Whatever a tenant uploaded is hostile to whoever opens it, so
// nothing it contains runs or loads in Keel's origin: HTML is served only into a sandbox (a unique
// origin, no scripts, no requests out), and Markdown and text are read here and rendered by Keel.
import { Readable } from "node:stream";
import { create as contentDisposition } from "content-disposition";
import { and, eq } from "drizzle-orm";
import { documents, type DocumentKind } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { log } from "@/core/log";
import { getBlobStore, type BlobStore } from "@/lib/storage";
import type { TenantContext } from "@/lib/tenancy/context";
import { decodeText } from "./detect-kind";

/** Characters of a Markdown or text original shown on the page; the rest is one download away. */
export const TEXT_PREVIEW_MAX_CHARS = 200_000;

export type OriginalDisposition = "attachment" | "inline";

interface OriginalFile {
  id: string;
  name: string;
  kind: DocumentKind;
  sha256: string;
  storageKey: string;
}

const mediaTypes: Record<DocumentKind, string> = {
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  markdown: "text/markdown; charset=utf-8",
  text: "text/plain; charset=utf-8",
  // A byte-order mark, when there is one, overrides the header (UTF-16 files keep theirs).
  html: "text/html; charset=utf-8",
};

// The HTML preview's policy: `sandbox` gives the page a unique origin with no scripts, forms,
// popups or top navigation; `default-src 'none'` stops every request out (images, styles, fonts,
// frames), leaving only the page's own inline styles and data: images and fonts.
const HTML_PREVIEW_POLICY = [
  "sandbox",
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src data:",
  "font-src data:",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join("; ");

// PDFs are not sandboxed: Safari and Firefox refuse to show a PDF in a sandboxed document, and
// Chrome drops the policy for its viewer anyway. The PDF viewers run the file in their own
// isolated process, and nosniff keeps a PDF/HTML polyglot from being read as HTML.
const PDF_PREVIEW_POLICY = "frame-ancestors 'self'";

/** What may be shown inline by the browser itself; other kinds are rendered by the page or only downloaded. */
function previewedByBrowser(kind: DocumentKind): boolean {
  return kind === "pdf" || kind === "html";
}

/** The document's original, or `not_found` (also for another tenant's id, which this scope cannot see). */
async function findOriginal(ctx: TenantContext, documentId: string): Promise<OriginalFile> {
  const [row] = await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select({ id: documents.id, name: documents.name, kind: documents.kind, sha256: documents.sha256, storageKey: documents.storageKey })
        .from(documents)
        .where(and(eq(documents.id, documentId), eq(documents.tenantId, ctx.tenantId))),
    { userId: ctx.userId },
  );
  if (!row) throw new KeelError("not_found", "That document does not exist.");
  return row;
}

function missingOriginal(file: OriginalFile): KeelError {
  log.error({ documentId: file.id, storageKey: file.storageKey }, "a document's original is missing from the blob store");
  return new KeelError("not_found", "The original file of this document is missing.");
}

function originalHeaders(file: OriginalFile, disposition: OriginalDisposition, sizeBytes?: number): Headers {
  const headers = new Headers({
    "content-type": mediaTypes[file.kind],
    "content-disposition": contentDisposition(file.name, { type: disposition }),
    "x-content-type-options": "nosniff",
    // Revalidated every time, so a member who lost access cannot keep reading from a cache.
    "cache-control": "private, no-cache",
    etag: `"${file.sha256}"`,
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
  });
  if (sizeBytes !== undefined) headers.set("content-length", String(sizeBytes));
  if (disposition === "attachment") {
    // Opened by hand instead of saved, a download still runs nothing and loads nothing.
    headers.set("content-security-policy", "sandbox; default-src 'none'");
  } else {
    headers.set("content-security-policy", file.kind === "html" ? HTML_PREVIEW_POLICY : PDF_PREVIEW_POLICY);
    headers.set("x-frame-options", "SAMEORIGIN");
  }
  return headers;
}

function matchesEtag(ifNoneMatch: string | null, sha256: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const value = tag.trim().replace(/^W\//, "");
    return value === "*" || value === `"${sha256}"`;
  });
}

/**
 * The HTTP answer for `GET /api/documents/:id/original` (attachment) or `…/preview` (inline):
 * the bytes with headers that make the browser save them, or show them without running them.
 */
export async function originalResponse(
  ctx: TenantContext,
  documentId: string,
  disposition: OriginalDisposition,
  request: Request,
  deps: { store?: BlobStore } = {},
): Promise<Response> {
  const file = await findOriginal(ctx, documentId);
  if (disposition === "inline" && !previewedByBrowser(file.kind)) {
    throw new KeelError("not_found", "This kind of document has no preview in the browser: download the original instead.");
  }
  if (matchesEtag(request.headers.get("if-none-match"), file.sha256)) {
    const headers = originalHeaders(file, disposition);
    headers.delete("content-length");
    return new Response(null, { status: 304, headers });
  }
  // Streamed a piece at a time: read whole, a 10 MB original held the serving process for a
  // quarter of a second (copies and garbage collection), and every other workspace's request on it waited.
  const original = await (deps.store ?? getBlobStore()).open(file.storageKey);
  if (!original) throw missingOriginal(file);
  const body = Readable.toWeb(Readable.from(original.body)) as ReadableStream<Uint8Array>;
  return new Response(body, { status: 200, headers: originalHeaders(file, disposition, original.size) });
}

export interface TextPreview {
  text: string;
  /** True when the original is longer than what is shown. */
  truncated: boolean;
}

/** The beginning of a Markdown or text original, decoded, for the page to render itself. */
export async function readTextPreview(ctx: TenantContext, documentId: string, deps: { store?: BlobStore } = {}): Promise<TextPreview> {
  const file = await findOriginal(ctx, documentId);
  if (file.kind !== "markdown" && file.kind !== "text") throw new KeelError("invalid_input", "Only Markdown and text originals are previewed as text.");
  // Only the beginning is read: enough bytes for the characters shown in any encoding (at most
  // four bytes a character), however large the file.
  const start = await (deps.store ?? getBlobStore()).readStart(file.storageKey, TEXT_PREVIEW_MAX_CHARS * 4 + 4);
  if (!start) throw missingOriginal(file);
  const whole = start.bytes.length === start.size;
  const text = decodeText(start.bytes, whole);
  if (whole && text.length <= TEXT_PREVIEW_MAX_CHARS) return { text, truncated: false };
  // Cut at a line end when there is one near the limit, so the last line shown is whole.
  const cut = text.lastIndexOf("\n", TEXT_PREVIEW_MAX_CHARS);
  return { text: text.slice(0, cut > TEXT_PREVIEW_MAX_CHARS / 2 ? cut : TEXT_PREVIEW_MAX_CHARS), truncated: true };
}
