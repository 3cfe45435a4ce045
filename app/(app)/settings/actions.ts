"use server";
import { revalidatePath } from "next/cache";
import { tenantAction } from "@/lib/http/tenant-action";
import { renameTenantSchema } from "@/lib/tenancy/schemas";
import { renameTenant } from "@/lib/tenancy/tenants";

export const renameTenantAction = tenantAction(renameTenantSchema, { role: "admin" }, async ({ name }, ctx) => {
  await renameTenant(ctx, name);
  revalidatePath("/", "layout");
  return { ok: true, message: "Workspace renamed.", values: { name } };
});
