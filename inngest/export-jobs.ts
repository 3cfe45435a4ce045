// Handing an export to the job system (Inngest, or the local executor); if it cannot, the job says so.
import { log } from "@/core/log";
import { failExport, type ExportRequest } from "@/lib/exports/workspace-exports";
import { inngest } from "./client";
import { workspaceExportRequested } from "./events";

export async function startExport(request: ExportRequest): Promise<boolean> {
  try {
    await inngest.send({ name: workspaceExportRequested.name, data: request });
    return true;
  } catch (error) {
    log.error({ err: error, jobId: request.jobId }, "could not send the export event");
    await failExport(request, "Keel could not start the export: its job service did not answer. Try again in a moment.");
    return false;
  }
}
