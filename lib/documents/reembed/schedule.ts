// The cron's half of re-embedding, and the only cross-tenant part: which tenants have stale chunks.
// It reads through the one system path (withSystem) and returns tenant ids only; each tenant's run
// then works in that tenant's own scope, started by its own event.
import { sql } from "drizzle-orm";
import { planTiers, type PlanTier } from "@/db/schema";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { resolveChain } from "@/lib/ai/routing";
import { REEMBED_JOB_KIND } from "./lifecycle";

/** The embedding model of each plan tier as routing stands (tiers can be routed apart in KEEL_ROUTES). */
function embeddingModelsByTier(): Record<PlanTier, string> {
  const { config } = getGateway();
  const models = {} as Record<PlanTier, string>;
  for (const tier of planTiers) {
    const [target] = resolveChain(config.routes, {
      role: "embedding",
      tier,
      estimatedInputTokens: 0,
      providers: config.providers.map((p) => p.name),
      compatibleModels: config.compatibleModels,
    });
    models[tier] = target?.model ?? "";
  }
  return models;
}

/**
 * Tenants with at least one stale active chunk and no re-embedding under way (a job that has not
 * moved for an hour no longer counts: its run died). At most `limit`; the next cron takes the rest.
 */
export async function tenantsWithStaleEmbeddings(limit = 500): Promise<string[]> {
  const models = embeddingModelsByTier();
  const dimensions = getGateway().config.embeddingDimensions;
  const modelOfPlan = sql.join(
    planTiers.map((tier) => sql`when ${tier} then ${models[tier]}`),
    sql` `,
  );
  const rows = await withSystem("cron: find tenants whose document chunks need re-embedding", (tx) =>
    rawRows<{ tenant_id: string }>(
      tx,
      sql`select c.tenant_id from document_chunks c join tenants t on t.id = c.tenant_id
          where c.active
            and (c.embedding is null or c.embedding_model is distinct from (case t.plan::text ${modelOfPlan} end)
                 or vector_dims(c.embedding) <> ${dimensions} or c.embedded_hash is distinct from c.content_hash)
            and not exists (select 1 from jobs j where j.tenant_id = c.tenant_id and j.kind = ${REEMBED_JOB_KIND}
                            and j.status in ('queued', 'running') and j.updated_at > now() - interval '1 hour')
          group by c.tenant_id order by c.tenant_id limit ${limit}`,
    ),
  );
  return rows.map((r) => r.tenant_id);
}
