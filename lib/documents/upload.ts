// Receiving one uploaded file. Before its body is read, the upload is admitted: this process's
// uploads in flight, the person's uploads in flight (across every app process, as rows), the
// workspace's storage quota (counting bytes still arriving), and the collection. Then the body is
// streamed to the blob store as it arrives: its size held to the limit, its SHA-256 taken, and its
// type sniffed from its first 64 KB (detect-kind.ts) on the way, so a refused file stops being read
// at once. Finally, in one transaction, the document and its first analysis job are created, unless
// the same content is already in the collection (then it is refused as a duplicate). A refused,
// duplicate or cut-off upload leaves no file and no row behind.
import { createHash, randomUUID } from "node:crypto";
import { and, count, eq, gt, lte, sql } from "drizzle-orm";
import { documents, uploadReservations, type Document, type DocumentKind } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { log } from "@/core/log";
import { processSingleton } from "@/core/process-singleton";
import { documentBlobKey, getBlobStore, type BlobStore } from "@/lib/storage";
import type { TenantContext } from "@/lib/tenancy/context";
import { resolveCollection } from "./collections";
import { SNIFF_BYTES, sniffDocumentKind } from "./detect-kind";
import { newJob, priorityOf, type AnalysisRequest } from "./documents";
import { publishDocumentChange } from "@/lib/jobs/job-events";
import { DocumentRejected, DuplicateDocument, UploadRefused } from "./errors";
import { safeFileName } from "./file-name";
import { documentLimitsFromEnv, formatBytes, uploadConcurrencyFromEnv, type DocumentLimits, type UploadConcurrency } from "./limits";

type UploadBody = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface UploadInput {
  fileName: string;
  /** The file's bytes: whole, or as a stream (an HTTP request's body) read as it arrives. */
  bytes: UploadBody;
  collectionId: string | null;
  /** The size the client declared (Content-Length), if any: checked before reading, and against what arrives. */
  declaredBytes?: number | null;
}

export interface UploadDeps {
  store?: BlobStore;
  limits?: DocumentLimits;
  concurrency?: UploadConcurrency;
}

/** How long an upload's reservation counts if its process dies without removing it. */
const RESERVATION_TTL_MS = 10 * 60_000;
/** What a client told to wait should wait, in seconds. */
const RETRY_AFTER_SECONDS = 5;

const inFlight = () => processSingleton("documents:uploads-in-flight", () => ({ count: 0 }));

async function lockTenantStorage(tx: Tx, tenantId: string): Promise<void> {
  // Serialises this tenant's admissions and commits, so two uploads cannot both fit under the quota.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`storage:${tenantId}`}, 0))`);
}

const tooLarge = (size: number, limits: DocumentLimits) =>
  new DocumentRejected("too_large", `This file is ${formatBytes(size)}; the largest file Keel takes is ${formatBytes(limits.maxFileBytes)}.`);

function storageFull(used: number, arriving: number, size: number | null, limits: DocumentLimits): DocumentRejected {
  const stores = `This workspace stores ${formatBytes(used)} of its ${formatBytes(limits.tenantStorageBytes)}${arriving > 0 ? ` (and ${formatBytes(arriving)} more are being uploaded)` : ""}`;
  return new DocumentRejected(
    "storage_quota",
    `${stores}; this ${size === null ? "file" : `${formatBytes(size)} file`} does not fit. Delete documents you no longer need, or ask an admin to raise the limit.`,
  );
}

async function storedBytes(tx: Tx, tenantId: string): Promise<number> {
  const [row] = await tx
    .select({ bytes: sql<string>`coalesce(sum(${documents.sizeBytes}), 0)` })
    .from(documents)
    .where(eq(documents.tenantId, tenantId));
  return Number(row?.bytes ?? 0);
}

interface Reservation {
  id: string;
  collectionId: string;
}

/** Admits an upload before its body is read, or refuses it with the reason. */
async function reserve(
  ctx: TenantContext,
  input: { declared: number | null; collectionId: string | null },
  limits: DocumentLimits,
  concurrency: UploadConcurrency,
) {
  return withTenant(
    ctx.tenantId,
    async (tx): Promise<Reservation> => {
      await lockTenantStorage(tx, ctx.tenantId);
      const now = new Date();
      await tx.delete(uploadReservations).where(and(eq(uploadReservations.tenantId, ctx.tenantId), lte(uploadReservations.expiresAt, now)));
      const collection = await resolveCollection(tx, ctx.tenantId, input.collectionId);
      const live = and(eq(uploadReservations.tenantId, ctx.tenantId), gt(uploadReservations.expiresAt, now));
      const [mine] = await tx
        .select({ n: count() })
        .from(uploadReservations)
        .where(and(live, eq(uploadReservations.userId, ctx.userId)));
      if ((mine?.n ?? 0) >= concurrency.perUser) {
        throw new UploadRefused(
          "too_many_uploads",
          `You are uploading ${concurrency.perUser} files already, the most Keel takes from one person at once. Wait for one of them to finish, then try again.`,
          429,
          RETRY_AFTER_SECONDS,
        );
      }
      const [arriving] = await tx
        .select({ bytes: sql<string>`coalesce(sum(${uploadReservations.bytes}), 0)` })
        .from(uploadReservations)
        .where(live);
      const used = await storedBytes(tx, ctx.tenantId);
      const reserved = Number(arriving?.bytes ?? 0);
      if (used + reserved + (input.declared ?? 1) > limits.tenantStorageBytes) throw storageFull(used, reserved, input.declared, limits);
      const [row] = await tx
        .insert(uploadReservations)
        .values({ tenantId: ctx.tenantId, userId: ctx.userId, bytes: input.declared ?? 0, expiresAt: new Date(now.getTime() + RESERVATION_TTL_MS) })
        .returning({ id: uploadReservations.id });
      return { id: row!.id, collectionId: collection.id };
    },
    { userId: ctx.userId },
  );
}

async function release(ctx: TenantContext, reservation: Reservation): Promise<void> {
  await withTenant(ctx.tenantId, (tx) =>
    tx.delete(uploadReservations).where(and(eq(uploadReservations.id, reservation.id), eq(uploadReservations.tenantId, ctx.tenantId))),
  ).catch((error: unknown) => log.warn({ err: error }, "documents: could not remove an upload reservation (it expires by itself)"));
}

/** The body as chunks; a body the client stopped sending is refused as cut off. */
async function* chunksOf(body: UploadBody): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  const cutOff = () => new DocumentRejected("incomplete", "The upload was cut off before the whole file arrived. Try again.");
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    let done = false;
    try {
      for (;;) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch {
          throw cutOff();
        }
        if (next.done) {
          done = true;
          return;
        }
        yield next.value;
      }
    } finally {
      // Refused midway: stop reading what the client is still sending.
      if (!done) await reader.cancel().catch(() => {});
    }
  }
  try {
    yield* body;
  } catch (error) {
    if (error instanceof DocumentRejected) throw error;
    throw cutOff();
  }
}

/** What is learnt about the body while it streams past. */
interface Received {
  size: number;
  sha256: string;
  kind: DocumentKind;
}

/** Passes the body through, counting, hashing and sniffing it; throws to stop it. */
async function* inspected(body: UploadBody, name: string, limits: DocumentLimits, received: Partial<Received>): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256");
  const prefix = new Uint8Array(SNIFF_BYTES);
  let prefixLength = 0;
  let size = 0;
  for await (const chunk of chunksOf(body)) {
    size += chunk.length;
    if (size > limits.maxFileBytes) throw tooLarge(size, limits);
    hash.update(chunk);
    if (!received.kind) {
      const take = Math.min(chunk.length, SNIFF_BYTES - prefixLength);
      prefix.set(chunk.subarray(0, take), prefixLength);
      prefixLength += take;
      // Sniffed as soon as the prefix is in: a refused type is not read any further.
      if (prefixLength === SNIFF_BYTES) received.kind = sniffDocumentKind(prefix, name, false);
    }
    yield chunk;
  }
  received.kind ??= sniffDocumentKind(prefix.subarray(0, prefixLength), name, true);
  received.size = size;
  received.sha256 = hash.digest("hex");
}

/**
 * Takes one uploaded file: refuses what Keel cannot read or store (with the reason), keeps the
 * original, and creates the document with its first analysis job. The caller sends the returned
 * request to the job system.
 */
export async function acceptUpload(ctx: TenantContext, input: UploadInput, deps: UploadDeps = {}): Promise<{ document: Document; request: AnalysisRequest }> {
  const limits = deps.limits ?? documentLimitsFromEnv();
  const concurrency = deps.concurrency ?? uploadConcurrencyFromEnv();
  const store = deps.store ?? getBlobStore();
  const name = safeFileName(input.fileName);
  const declared = input.bytes instanceof Uint8Array ? input.bytes.length : (input.declaredBytes ?? null);
  if (declared !== null && declared > limits.maxFileBytes) throw tooLarge(declared, limits);
  const slots = inFlight();
  if (slots.count >= concurrency.perProcess) {
    throw new UploadRefused("busy", "Keel is receiving many uploads right now. Try again in a few seconds.", 503, RETRY_AFTER_SECONDS);
  }
  slots.count++;
  try {
    const reservation = await reserve(ctx, { declared, collectionId: input.collectionId }, limits, concurrency);
    try {
      return await receive(ctx, input, { name, declared, limits, store, reservation });
    } finally {
      await release(ctx, reservation);
    }
  } finally {
    slots.count--;
  }
}

async function receive(
  ctx: TenantContext,
  input: UploadInput,
  context: { name: string; declared: number | null; limits: DocumentLimits; store: BlobStore; reservation: Reservation },
): Promise<{ document: Document; request: AnalysisRequest }> {
  const { name, limits, store } = context;
  const documentId = randomUUID();
  const storageKey = documentBlobKey(ctx.tenantId, documentId);
  const seen: Partial<Received> = {};
  await store.put(storageKey, inspected(input.bytes, name, limits, seen));
  try {
    const received = seen as Received;
    if (context.declared !== null && received.size !== context.declared) {
      throw new DocumentRejected("incomplete", "The upload was cut off before the whole file arrived. Try again.");
    }
    return await withTenant(
      ctx.tenantId,
      async (tx) => {
        await lockTenantStorage(tx, ctx.tenantId);
        const collection = await resolveCollection(tx, ctx.tenantId, context.reservation.collectionId);
        const [existing] = await tx
          .select({ id: documents.id, name: documents.name })
          .from(documents)
          .where(and(eq(documents.tenantId, ctx.tenantId), eq(documents.collectionId, collection.id), eq(documents.sha256, received.sha256)))
          .limit(1);
        if (existing) {
          throw new DuplicateDocument(
            existing.id,
            `This file is already in the collection “${collection.name}”, as “${existing.name}”. Keel keeps one copy of each file per collection.`,
          );
        }
        const used = await storedBytes(tx, ctx.tenantId);
        if (used + received.size > limits.tenantStorageBytes) throw storageFull(used, 0, received.size, limits);
        const [document] = await tx
          .insert(documents)
          .values({
            id: documentId,
            tenantId: ctx.tenantId,
            collectionId: collection.id,
            name,
            kind: received.kind,
            sizeBytes: received.size,
            sha256: received.sha256,
            storageKey,
            status: "queued",
            version: 1,
            uploadedBy: ctx.userId,
          })
          .returning();
        const job = await newJob(tx, ctx.tenantId, documentId, ctx.userId);
        await publishDocumentChange(tx, ctx.tenantId, documentId, "created", {
          name,
          kind: received.kind,
          sizeBytes: received.size,
          collectionId: collection.id,
          collectionName: collection.name,
          createdAt: document!.createdAt.toISOString(),
        });
        await tx.delete(uploadReservations).where(and(eq(uploadReservations.id, context.reservation.id), eq(uploadReservations.tenantId, ctx.tenantId)));
        return {
          document: document!,
          request: { tenantId: ctx.tenantId, documentId, jobId: job.id, version: 1, priority: await priorityOf(tx, ctx.tenantId) },
        };
      },
      { userId: ctx.userId },
    );
  } catch (error) {
    // Nothing points at the file: remove it.
    await store.delete(storageKey).catch((e: unknown) => log.error({ err: e, storageKey }, "could not remove an upload that was not kept"));
    throw error;
  }
}
