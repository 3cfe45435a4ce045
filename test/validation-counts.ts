// Pass / repaired / failed counts of structured outputs straight from the usage events: what the
// structured-output tests check the meter recorded (the pages read the rollups instead).
import { sql } from "drizzle-orm";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import type { TenantContext } from "@/lib/tenancy/context";

export interface ValidationCount {
  feature: string;
  model: string;
  pass: number;
  repaired: number;
  failed: number;
}

export async function validationCounts(ctx: Pick<TenantContext, "tenantId">, sinceDays = 30): Promise<ValidationCount[]> {
  const rows = await withTenant(ctx.tenantId, (tx) =>
    rawRows<{ feature: string; model: string; pass: string; repaired: string; failed: string }>(
      tx,
      sql`select feature, model,
            count(*) filter (where validation = 'pass') as pass,
            count(*) filter (where validation = 'repaired') as repaired,
            count(*) filter (where validation = 'failed') as failed
          from usage_events
          where tenant_id = ${ctx.tenantId} and validation is not null and created_at > now() - make_interval(days => ${sinceDays})
          group by feature, model order by feature, model`,
    ),
  );
  return rows.map((r) => ({ feature: r.feature, model: r.model, pass: Number(r.pass), repaired: Number(r.repaired), failed: Number(r.failed) }));
}
