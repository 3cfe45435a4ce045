// The same bytes twice in one collection: found by the SHA-256 of the content that every document
// records. Callers hold the tenant's storage lock, so two uploads of one file cannot both pass.
import { and, asc, eq } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { documents } from "@/db/schema";
import { DuplicateDocument } from "./errors";

export async function refuseDuplicateContent(tx: Tx, tenantId: string, collectionId: string, sha256: string): Promise<void> {
  const [existing] = await tx
    .select({ id: documents.id, name: documents.name })
    .from(documents)
    .where(and(eq(documents.tenantId, tenantId), eq(documents.collectionId, collectionId), eq(documents.sha256, sha256)))
    .orderBy(asc(documents.createdAt))
    .limit(1);
  if (existing) throw new DuplicateDocument(existing);
}
