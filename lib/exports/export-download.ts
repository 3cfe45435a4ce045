// The response behind GET /api/exports/:id: the zip streamed from storage as an attachment.
import { Readable } from "node:stream";
import { create as contentDisposition } from "content-disposition";
import { z } from "zod";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { openExportDownload } from "./workspace-exports";

export async function exportDownloadResponse(ctx: TenantContext, rawId: string): Promise<Response> {
  const id = z.uuid().safeParse(rawId);
  if (!id.success) throw new KeelError("not_found", "That export does not exist or has expired.");
  const download = await openExportDownload(ctx, id.data);
  const body = Readable.toWeb(Readable.from(download.body)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": "application/zip",
      "content-length": String(download.bytes),
      "content-disposition": contentDisposition(download.fileName, { type: "attachment" }),
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
