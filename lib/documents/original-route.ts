// The route handler behind `GET /api/documents/:id/original` and `…/preview`: the tenant guard,
// the id checked as a uuid (anything else is 404, like another tenant's id), then the original.
import { z } from "zod";
import { KeelError } from "@/lib/errors";
import { withTenantRoute } from "@/lib/http/tenant-route";
import { originalResponse, type OriginalDisposition } from "./originals";

export function originalRoute(disposition: OriginalDisposition) {
  return withTenantRoute<{ id: string }>(async (request, ctx, { params }) => {
    const id = z.uuid().safeParse((await params).id);
    if (!id.success) throw new KeelError("not_found", "That document does not exist.");
    return originalResponse(ctx, id.data, disposition, request);
  });
}
