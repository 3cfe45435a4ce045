// Read models for the Usage page: the rollup by model over recent days.
import { and, desc, eq, gte, sql } from "drizzle-orm";
import { usageDaily } from "@/db/schema";
import { withTenant } from "@/db/scope";
import type { TenantContext } from "@/lib/tenancy/context";

export interface ModelUsage {
  provider: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
  savedMicroUsd: number;
  cacheHits: number;
  errors: number;
}

export function usageByModel(ctx: TenantContext, days = 30): Promise<ModelUsage[]> {
  const since = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
  return withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select({
          provider: usageDaily.provider,
          model: usageDaily.model,
          requests: sql<number>`sum(${usageDaily.requests})::int`,
          inputTokens: sql<number>`sum(${usageDaily.inputTokens})::bigint`.mapWith(Number),
          outputTokens: sql<number>`sum(${usageDaily.outputTokens})::bigint`.mapWith(Number),
          costMicroUsd: sql<number>`sum(${usageDaily.costMicroUsd})::bigint`.mapWith(Number),
          savedMicroUsd: sql<number>`sum(${usageDaily.savedMicroUsd})::bigint`.mapWith(Number),
          cacheHits: sql<number>`sum(${usageDaily.cacheHits})::int`,
          errors: sql<number>`sum(${usageDaily.errors})::int`,
        })
        .from(usageDaily)
        .where(and(eq(usageDaily.tenantId, ctx.tenantId), gte(usageDaily.day, since)))
        .groupBy(usageDaily.provider, usageDaily.model)
        .orderBy(desc(sql`sum(${usageDaily.costMicroUsd})`)),
    { userId: ctx.userId },
  );
}

export function formatUsd(microUsd: number): string {
  return `$${(microUsd / 1_000_000).toFixed(microUsd < 10_000 ? 4 : 2)}`;
}
