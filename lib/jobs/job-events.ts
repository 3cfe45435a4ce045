// What travels from a job to the browsers watching it: one message shape on one Postgres channel
// (`keel_jobs`), sent inside the transaction that changed the job, so it is heard only if the
// change commits and by every app process (PGlite delivers it in-process).
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Tx } from "@/db/client";
import { jobStatuses } from "@/db/schema";

export const JOB_CHANNEL = "keel_jobs";

export const jobUpdateSchema = z.object({
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

export const notificationMessageSchema = z.object({
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
export type NotificationMessage = z.infer<typeof notificationMessageSchema>;

export const liveMessageSchema = z.discriminatedUnion("type", [jobUpdateSchema, notificationMessageSchema]);
export type LiveMessage = z.infer<typeof liveMessageSchema>;

/** NOTIFY payloads are limited to 8000 bytes: messages are short by construction, and trimmed. */
export async function publish(tx: Tx, message: LiveMessage): Promise<void> {
  const trimmed = "message" in message && message.message ? { ...message, message: message.message.slice(0, 500) } : message;
  await tx.execute(sql`select pg_notify(${JOB_CHANNEL}, ${JSON.stringify(trimmed)})`);
}
