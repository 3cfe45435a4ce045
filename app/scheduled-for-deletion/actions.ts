"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { tenantAction } from "@/lib/http/tenant-action";
import { restoreWorkspace } from "@/lib/tenancy/workspace-deletion";

export const restoreWorkspaceAction = tenantAction(z.object({}), { role: "owner", whileScheduledForDeletion: true }, async (_input, ctx) => {
  await restoreWorkspace(ctx);
  revalidatePath("/", "layout");
  redirect("/settings");
});
