// POST /api/documents: one file per request, its bytes as the body (so the browser can show upload
// progress per file), its name in `x-file-name` (URI-encoded), the collection in `?collectionId=`.
// Answers 201 with the new document, or the reason it was refused.
import { NextResponse } from "next/server";
import { z } from "zod";
import { startAnalysis } from "@/inngest/analysis-jobs";
import { acceptUpload } from "@/lib/documents/documents";
import { DocumentRejected, DuplicateDocument } from "@/lib/documents/errors";
import { documentLimitsFromEnv, formatBytes } from "@/lib/documents/limits";
import { readCappedBytes } from "@/lib/http/read-capped-body";
import { assertSameOrigin } from "@/lib/http/same-origin";
import { withTenantRoute } from "@/lib/http/tenant-route";

const querySchema = z.object({ collectionId: z.uuid().nullish() });

function decodeName(raw: string | null): string {
  if (!raw) return "untitled";
  try {
    return decodeURIComponent(raw).slice(0, 1_000);
  } catch {
    return raw.slice(0, 1_000);
  }
}

const refused = (code: string, message: string, status: number) => NextResponse.json({ error: { code, message } }, { status });

export const POST = withTenantRoute(async (request, ctx) => {
  assertSameOrigin(request);
  const query = querySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return refused("invalid_input", "That collection id is not valid.", 400);
  const limits = documentLimitsFromEnv();
  const bytes = await readCappedBytes(request, limits.maxFileBytes);
  if (bytes === null) return refused("too_large", `This file is larger than ${formatBytes(limits.maxFileBytes)}, the largest file Keel takes.`, 413);
  try {
    const { document, request: analysis } = await acceptUpload(
      ctx,
      { fileName: decodeName(request.headers.get("x-file-name")), bytes, collectionId: query.data.collectionId ?? null },
      { limits },
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
    if (error instanceof DuplicateDocument) {
      return NextResponse.json({ error: { code: error.code, message: error.message, documentId: error.existing.id } }, { status: 409 });
    }
    if (error instanceof DocumentRejected) return refused(error.code, error.message, error.code === "too_large" || error.code === "storage_quota" ? 413 : 400);
    throw error;
  }
});
