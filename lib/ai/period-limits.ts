// Applies a tenant's limits in force to its current quota period at once, and tells every
// process's gateway to drop its cached profile. Used when a tenant saves its limits and when an
// operator changes its plan: the new limits bind from the next call, not from next month.
import { and, eq } from "drizzle-orm";
import { quotaPeriods } from "@/db/schema";
import type { Tx } from "@/db/client";
import { announceInvalidation } from "@/db/invalidation";
import { currentPeriod } from "./quota-period";
import { readTenantProfile, type TenantProfile } from "./tenant-profile";

export async function applyLimitsToCurrentPeriod(tx: Tx, tenantId: string, now = new Date()): Promise<TenantProfile> {
  const profile = await readTenantProfile(tx, tenantId, now);
  await tx
    .update(quotaPeriods)
    .set({
      tokenLimit: profile.tokenLimit,
      microUsdLimit: profile.microUsdLimit,
      memberTokenCap: profile.memberTokenCap,
      softLimitPercent: profile.softLimitPercent,
    })
    .where(and(eq(quotaPeriods.tenantId, tenantId), eq(quotaPeriods.periodStart, currentPeriod(now).start)));
  await announceInvalidation(tx, "tenant_profile", tenantId);
  return profile;
}
