// GET /api/documents/:id/original: the uploaded file as it was sent, as a download under its
// (sanitised) name. Another tenant's id, or a malformed one, is 404.
import { z } from "zod";
import { originalResponse } from "@/lib/documents/originals";
import { KeelError } from "@/lib/errors";
import { withTenantRoute } from "@/lib/http/tenant-route";

export const GET = withTenantRoute<{ id: string }>(async (request, ctx, { params }) => {
  const id = z.uuid().safeParse((await params).id);
  if (!id.success) throw new KeelError("not_found", "That document does not exist.");
  return originalResponse(ctx, id.data, "attachment", request);
});
