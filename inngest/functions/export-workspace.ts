// export-workspace: one step per table family (JSON and CSV into storage), then one step that
// streams the zip with the originals; 6 steps whatever the workspace's size. Progress is the job's.
import { NonRetriableError } from "inngest";
import { ExportStopped, exportFamilyStep, writeArchiveStep } from "@/lib/exports/export-steps";
import { exportFamilyNames } from "@/lib/exports/export-tables";
import { failExport, type ExportRequest } from "@/lib/exports/workspace-exports";
import { inngest } from "../client";
import { workspaceExportRequested } from "../events";

async function stage<T>(request: ExportRequest, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ExportStopped) {
      await failExport(request, error.message);
      throw new NonRetriableError(error.message);
    }
    throw error;
  }
}

export const exportWorkspaceFunction = inngest.createFunction(
  {
    id: "export-workspace",
    name: "Export a workspace",
    triggers: [workspaceExportRequested],
    // One export per workspace at a time; the request already refuses a second one.
    concurrency: [{ key: "event.data.tenantId", limit: 1 }],
    retries: 3,
    onFailure: async ({ event }) => {
      const { tenantId, jobId } = event.data.event.data;
      await failExport({ tenantId, jobId }, "The export failed. Start a new one from Settings; if it fails again, contact support.");
    },
  },
  async ({ event, step }) => {
    const request: ExportRequest = { tenantId: event.data.tenantId, userId: event.data.userId, jobId: event.data.jobId };
    for (const family of exportFamilyNames) {
      await step.run(`export-${family}`, () => stage(request, () => exportFamilyStep(request, family)));
    }
    return step.run("write-archive", () => stage(request, () => writeArchiveStep(request)));
  },
);
