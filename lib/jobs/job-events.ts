// What travels from a job to the browsers watching it: one message shape on one Postgres channel
// (`keel_jobs`), sent inside the transaction that changed the job, so it is heard only if the
// change commits and by every app process (PGlite delivers it in-process).
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Tx } from "@/db/client";
import { jobStatuses } from "@/db/schema";

export const JOB_CHANNEL = "keel_jobs";

const jobUpdateSchema = z.object({
  type: z.literal("job"),
  tenantId: z.uuid(),
  jobId: z.uuid(),
  documentId: z.uuid().nullable(),
  status: z.enum(jobStatuses),
  stage: z.string(),
  done: z.number().int(),
  total: z.number().int(),
  message: z.string().nullable(),
  at: z.string(),
});
export type JobUpdate = z.infer<typeof jobUpdateSchema>;

const notificationMessageSchema = z.object({
  type: z.literal("notification"),
  tenantId: z.uuid(),
  userId: z.uuid(),
  id: z.uuid(),
  kind: z.string(),
  title: z.string(),
  body: z.string().nullable(),
  link: z.string().nullable(),
  at: z.string(),
});

const documentChanges = ["created", "updated", "deleted"] as const;
export type DocumentChange = (typeof documentChanges)[number];

/** A document appeared, changed (moved, renamed collection) or went away: lists showing it re-read. */
const documentChangeMessageSchema = z.object({
  type: z.literal("document"),
  tenantId: z.uuid(),
  /** Null when several documents changed at once (a collection deleted or renamed). */
  documentId: z.uuid().nullable(),
  change: z.enum(documentChanges),
  /** For "created": what a list needs to show the new row at once, before it re-reads the page. */
  document: z
    .object({
      name: z.string(),
      kind: z.string(),
      sizeBytes: z.number().int(),
      collectionId: z.uuid(),
      collectionName: z.string(),
      createdAt: z.string(),
    })
    .optional(),
  at: z.string(),
});
export type DocumentChangeMessage = z.infer<typeof documentChangeMessageSchema>;

export const liveMessageSchema = z.discriminatedUnion("type", [jobUpdateSchema, notificationMessageSchema, documentChangeMessageSchema]);
export type LiveMessage = z.infer<typeof liveMessageSchema>;

/** NOTIFY payloads are limited to 8000 bytes: messages are short by construction, and trimmed. */
export async function publish(tx: Tx, message: LiveMessage): Promise<void> {
  const trimmed = "message" in message && message.message ? { ...message, message: message.message.slice(0, 500) } : message;
  await tx.execute(sql`select pg_notify(${JOB_CHANNEL}, ${JSON.stringify(trimmed)})`);
}

/** Tells every browser of the tenant that a document changed, when (and only if) `tx` commits. */
export function publishDocumentChange(
  tx: Tx,
  tenantId: string,
  documentId: string | null,
  change: DocumentChange,
  document?: DocumentChangeMessage["document"],
): Promise<void> {
  return publish(tx, { type: "document", tenantId, documentId, change, ...(document ? { document } : {}), at: new Date().toISOString() });
}
