"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { requestWorkspaceExport } from "@/lib/exports/workspace-exports";
import { tenantAction } from "@/lib/http/tenant-action";
import { deleteWorkspaceSchema, scheduleWorkspaceDeletion } from "@/lib/tenancy/workspace-deletion";
import { startExport } from "@/inngest/export-jobs";

export const exportWorkspaceAction = tenantAction(z.object({}), { role: "owner" }, async (_input, ctx) => {
  const started = await startExport(await requestWorkspaceExport(ctx));
  revalidatePath("/settings");
  return started
    ? { ok: true, message: "Export started." }
    : { ok: false, message: "Keel could not start the export: its job service did not answer. Try again in a moment." };
});

export const deleteWorkspaceAction = tenantAction(deleteWorkspaceSchema, { role: "owner" }, async (input, ctx) => {
  await scheduleWorkspaceDeletion(ctx, input);
  revalidatePath("/", "layout");
  redirect("/scheduled-for-deletion");
});
