// Managing collections: create, rename, delete (with their documents), and moving a document
// from one collection to another. Collections are the retrieval namespace, so a move carries the
// document's chunks along in the same transaction, and answers cached on them are dropped.
// Creating, renaming and deleting collections is for admins; moving a document is for whoever
// may delete it (its uploader or an admin). Every change is audited.
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { collections, documentChunks, documents, jobs, type Collection } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { publishDocumentChange } from "@/lib/jobs/job-events";
import { updateJobIn } from "@/lib/jobs/progress";
import { log } from "@/core/log";
import { getBlobStore, type BlobStore } from "@/lib/storage";
import { recordAudit } from "@/lib/tenancy/audit";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import { assertMayManageDocument } from "./document-permissions";
import { dropCachedAnswersCiting } from "./documents";

const MAX_COLLECTIONS = 200;

export const collectionNameSchema = z
  .string()
  .trim()
  .min(1, "Give the collection a name.")
  .max(80, "Keep the name under 80 characters.")
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), "The name cannot hold control characters.");

function requireAdmin(ctx: TenantContext): void {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Only owners and admins can manage collections.");
}

async function lockCollection(tx: Tx, tenantId: string, collectionId: string): Promise<Collection> {
  const [found] = await tx
    .select()
    .from(collections)
    .where(and(eq(collections.id, collectionId), eq(collections.tenantId, tenantId)))
    .for("update");
  if (!found) throw new KeelError("not_found", "That collection does not exist.");
  return found;
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}

const nameTaken = (name: string) => new KeelError("conflict", `There is already a collection named “${name}”.`, { name: "That name is taken." });

export async function createCollection(ctx: TenantContext, rawName: string): Promise<Collection> {
  requireAdmin(ctx);
  const name = collectionNameSchema.parse(rawName);
  try {
    return await withTenant(
      ctx.tenantId,
      async (tx) => {
        const [{ count } = { count: 0 }] = await tx
          .select({ count: sql<number>`count(*)::int` })
          .from(collections)
          .where(eq(collections.tenantId, ctx.tenantId));
        if (count >= MAX_COLLECTIONS) throw new KeelError("conflict", `A workspace can have up to ${MAX_COLLECTIONS} collections.`);
        const [created] = await tx.insert(collections).values({ tenantId: ctx.tenantId, name, createdBy: ctx.userId }).returning();
        if (!created) throw new Error("insert returned no row");
        await recordAudit(tx, {
          tenantId: ctx.tenantId,
          actorUserId: ctx.userId,
          action: "collection.created",
          targetType: "collection",
          targetId: created.id,
          metadata: { name },
        });
        return created;
      },
      { userId: ctx.userId },
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(name);
    throw error;
  }
}

export async function renameCollection(ctx: TenantContext, collectionId: string, rawName: string): Promise<Collection> {
  requireAdmin(ctx);
  const name = collectionNameSchema.parse(rawName);
  try {
    return await withTenant(
      ctx.tenantId,
      async (tx) => {
        const before = await lockCollection(tx, ctx.tenantId, collectionId);
        const [renamed] = await tx.update(collections).set({ name }).where(eq(collections.id, before.id)).returning();
        if (!renamed) throw new Error("update returned no row");
        await recordAudit(tx, {
          tenantId: ctx.tenantId,
          actorUserId: ctx.userId,
          action: "collection.renamed",
          targetType: "collection",
          targetId: before.id,
          metadata: { from: before.name, to: name },
        });
        if (before.name !== name) await publishDocumentChange(tx, ctx.tenantId, null, "updated");
        return renamed;
      },
      { userId: ctx.userId },
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(name);
    throw error;
  }
}

export interface DeletedCollection {
  documentCount: number;
  /** Analyses that were running on its documents: the caller tells the job system to stop them. */
  cancelledJobs: { documentId: string; jobId: string }[];
}

/**
 * Deletes a collection with every document in it: their chunks, the answers cached on them, their
 * jobs' runs and their originals. The default collection cannot be deleted: uploads go there.
 */
export async function deleteCollection(ctx: TenantContext, collectionId: string, deps: { store?: BlobStore } = {}): Promise<DeletedCollection> {
  requireAdmin(ctx);
  const store = deps.store ?? getBlobStore();
  const { storageKeys, cancelledJobs } = await withTenant(
    ctx.tenantId,
    async (tx) => {
      const collection = await lockCollection(tx, ctx.tenantId, collectionId);
      if (collection.isDefault) throw new KeelError("conflict", "The default collection cannot be deleted: new uploads go there. Rename it instead.");
      const members = await tx
        .select({ id: documents.id, storageKey: documents.storageKey })
        .from(documents)
        .where(and(eq(documents.tenantId, ctx.tenantId), eq(documents.collectionId, collection.id)))
        .for("update");
      const running = await tx
        .select({ id: jobs.id, documentId: jobs.documentId })
        .from(jobs)
        .where(
          and(
            eq(jobs.tenantId, ctx.tenantId),
            sql`${jobs.status} in ('queued', 'running')`,
            sql`${jobs.documentId} in (select id from documents where tenant_id = ${ctx.tenantId} and collection_id = ${collection.id})`,
          ),
        );
      for (const job of running) await updateJobIn(tx, ctx.tenantId, job.id, { status: "cancelled", stage: "cancelled", message: "Collection deleted" });
      await dropCachedAnswersCiting(
        tx,
        ctx.tenantId,
        sql`select id from document_chunks where tenant_id = ${ctx.tenantId} and collection_id = ${collection.id}`,
      );
      // Chunks and documents go with the collection (foreign keys cascade).
      await tx.delete(collections).where(eq(collections.id, collection.id));
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "collection.deleted",
        targetType: "collection",
        targetId: collection.id,
        metadata: { name: collection.name, documents: members.length },
      });
      await publishDocumentChange(tx, ctx.tenantId, null, "deleted");
      return {
        storageKeys: members.map((m) => m.storageKey),
        cancelledJobs: running.flatMap((j) => (j.documentId ? [{ documentId: j.documentId, jobId: j.id }] : [])),
      };
    },
    { userId: ctx.userId },
  );
  // After the commit, as for one document: a failed delete leaves an unreferenced file, never a row without its file.
  for (const key of storageKeys)
    await store.delete(key).catch((error: unknown) => log.error({ err: error, storageKey: key }, "could not delete a document's original"));
  return { documentCount: storageKeys.length, cancelledJobs };
}

/** Moves a document, with every version of its chunks, into another of the tenant's collections. */
export async function moveDocument(ctx: TenantContext, documentId: string, toCollectionId: string): Promise<void> {
  await withTenant(
    ctx.tenantId,
    async (tx) => {
      // The document first, as the analysis's switch-over does, so the two are ordered.
      const [document] = await tx
        .select()
        .from(documents)
        .where(and(eq(documents.id, documentId), eq(documents.tenantId, ctx.tenantId)))
        .for("update");
      if (!document) throw new KeelError("not_found", "That document does not exist.");
      assertMayManageDocument(ctx, document, "move");
      const target = await lockCollection(tx, ctx.tenantId, toCollectionId);
      if (target.id === document.collectionId) return;
      await tx.update(documents).set({ collectionId: target.id, updatedAt: new Date() }).where(eq(documents.id, document.id));
      await tx
        .update(documentChunks)
        .set({ collectionId: target.id })
        .where(and(eq(documentChunks.tenantId, ctx.tenantId), eq(documentChunks.documentId, document.id)));
      // An answer cached while grounded on the old collection must not be replayed for the new one.
      await dropCachedAnswersCiting(tx, ctx.tenantId, sql`select id from document_chunks where tenant_id = ${ctx.tenantId} and document_id = ${document.id}`);
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "document.moved",
        targetType: "document",
        targetId: document.id,
        metadata: { from: document.collectionId, to: target.id },
      });
      await publishDocumentChange(tx, ctx.tenantId, document.id, "updated");
    },
    { userId: ctx.userId },
  );
}
