"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { planTiers } from "@/db/schema";
import { operatorAction } from "@/lib/http/tenant-action";
import { changeTenantPlan } from "@/lib/operator/tenant-plans";

const changePlanSchema = z.object({ tenantId: z.uuid(), plan: z.enum(planTiers, "Choose a plan.") });

export const changeTenantPlanAction = operatorAction(changePlanSchema, async ({ tenantId, plan }, operator) => {
  const { from, to } = await changeTenantPlan(operator, tenantId, plan);
  revalidatePath("/operator");
  return { ok: true, message: from === to ? `Already on the ${to} plan.` : `Plan changed from ${from} to ${to}.` };
});
