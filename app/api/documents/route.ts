// POST /api/documents: one file per request, its bytes as the body (so the browser can show upload
// progress per file), its name in `x-file-name` (URI-encoded), the collection in `?collectionId=`.
// The body is streamed to storage as it arrives (lib/documents/upload.ts), never held whole.
// Answers 201 with the new document, or the reason it was refused: 400 (the file), 409 (the same
// content is already in the collection: `documentId` names it), 413 (size, storage quota), 429
// (too many uploads from this person at once) or 503 (this server is busy), both with Retry-After.
import { NextResponse } from "next/server";
import { z } from "zod";
import { startAnalysis } from "@/inngest/analysis-jobs";
import { DocumentRejected, DuplicateDocument, UploadRefused } from "@/lib/documents/errors";
import { documentLimitsFromEnv } from "@/lib/documents/limits";
import { acceptUpload } from "@/lib/documents/upload";
import { assertSameOrigin } from "@/lib/http/same-origin";
import { withTenantRoute } from "@/lib/http/guarded-route";

const querySchema = z.object({ collectionId: z.uuid().nullish() });
const lengthSchema = z.coerce.number().int().nonnegative();

function decodeName(raw: string | null): string {
  if (!raw) return "untitled";
  try {
    return decodeURIComponent(raw).slice(0, 1_000);
  } catch {
    return raw.slice(0, 1_000);
  }
}

const refused = (code: string, message: string, status: number, headers?: HeadersInit) => NextResponse.json({ error: { code, message } }, { status, headers });

export const POST = withTenantRoute(
  async (request, ctx) => {
    assertSameOrigin(request);
    const query = querySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!query.success) return refused("invalid_input", "That collection id is not valid.", 400);
    const length = lengthSchema.safeParse(request.headers.get("content-length") ?? undefined);
    try {
      const { document, request: analysis } = await acceptUpload(
        ctx,
        {
          fileName: decodeName(request.headers.get("x-file-name")),
          bytes: request.body ?? new Uint8Array(0),
          collectionId: query.data.collectionId ?? null,
          declaredBytes: length.success ? length.data : null,
        },
        { limits: documentLimitsFromEnv() },
      );
      await startAnalysis(analysis);
      return NextResponse.json(
        {
          document: { id: document.id, name: document.name, kind: document.kind, sizeBytes: document.sizeBytes, status: document.status },
          jobId: analysis.jobId,
        },
        { status: 201 },
      );
    } catch (error) {
      if (error instanceof DuplicateDocument)
        return NextResponse.json({ error: { code: error.code, message: error.message, documentId: error.documentId } }, { status: 409 });
      if (error instanceof UploadRefused) return refused(error.code, error.message, error.status, { "retry-after": String(error.retryAfterSeconds) });
      if (error instanceof DocumentRejected)
        return refused(error.code, error.message, error.code === "too_large" || error.code === "storage_quota" ? 413 : 400);
      throw error;
    } finally {
      // Refused before or while reading: what the client still sends is not read.
      if (request.body && !request.bodyUsed) await request.body.cancel().catch(() => {});
    }
  },
  { role: "member" },
);
