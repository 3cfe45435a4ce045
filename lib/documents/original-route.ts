// The handler behind `GET /api/documents/:id/original` and `…/preview` (each route wraps it in the
// tenant guard): the id checked as a uuid (anything else is 404, like another tenant's id), then the original.
import { z } from "zod";
import type { TenantSession } from "@/lib/auth/guard";
import { KeelError } from "@/lib/errors";
import { originalResponse, type OriginalDisposition } from "./originals";

export function originalHandler(disposition: OriginalDisposition) {
  return async (request: Request, ctx: TenantSession, { params }: { params: Promise<{ id: string }> }): Promise<Response> => {
    const id = z.uuid().safeParse((await params).id);
    if (!id.success) throw new KeelError("not_found", "That document does not exist.");
    return originalResponse(ctx, id.data, disposition, request);
  };
}
