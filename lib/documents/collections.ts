// Collections: the retrieval namespace documents are grouped in. Every tenant has a default one.
import { and, asc, eq, sql } from "drizzle-orm";
import { collections, documents, type Collection } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";

export function listCollections(ctx: TenantContext): Promise<Collection[]> {
  return withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .select()
        .from(collections)
        .where(eq(collections.tenantId, ctx.tenantId))
        .orderBy(sql`${collections.isDefault} desc`, asc(collections.name)),
    { userId: ctx.userId },
  );
}

/** The tenant's collections with how many documents each holds (for the Documents page). */
export function listCollectionsWithCounts(ctx: TenantContext): Promise<(Collection & { documentCount: number })[]> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const rows = await tx
        .select({ collection: collections, documentCount: sql<number>`count(${documents.id})::int` })
        .from(collections)
        .leftJoin(documents, eq(documents.collectionId, collections.id))
        .where(eq(collections.tenantId, ctx.tenantId))
        .groupBy(collections.id)
        .orderBy(sql`${collections.isDefault} desc`, asc(collections.name));
      return rows.map((r) => ({ ...r.collection, documentCount: r.documentCount }));
    },
    { userId: ctx.userId },
  );
}

/** The collection to upload into: the one asked for (it must be the tenant's), else the default. */
export async function resolveCollection(tx: Tx, tenantId: string, collectionId: string | null): Promise<Collection> {
  const [found] = await tx
    .select()
    .from(collections)
    .where(and(eq(collections.tenantId, tenantId), collectionId ? eq(collections.id, collectionId) : eq(collections.isDefault, true)));
  if (found) return found;
  if (collectionId) throw new KeelError("not_found", "That collection does not exist.");
  // A tenant from before collections existed, or one whose default was lost: make it now.
  const [created] = await tx.insert(collections).values({ tenantId, name: "General", isDefault: true }).onConflictDoNothing().returning();
  if (created) return created;
  return resolveCollection(tx, tenantId, null);
}
