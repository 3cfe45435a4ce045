// GET /api/documents/:id/preview: a PDF or HTML original for the document page's preview frame,
// shown by the browser inline and, for HTML, inside a sandbox (see lib/documents/originals.ts).
// Other kinds, another tenant's id, or a malformed one are 404.
import { z } from "zod";
import { originalResponse } from "@/lib/documents/originals";
import { KeelError } from "@/lib/errors";
import { withTenantRoute } from "@/lib/http/tenant-route";

export const GET = withTenantRoute<{ id: string }>(async (request, ctx, { params }) => {
  const id = z.uuid().safeParse((await params).id);
  if (!id.success) throw new KeelError("not_found", "That document does not exist.");
  return originalResponse(ctx, id.data, "inline", request);
});
