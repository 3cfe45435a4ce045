// The deliveries a workspace's webhook is owed, as rows (webhook_deliveries): recorded in the
// transaction that decided them, then each one attempted by a durable job of its own
// (inngest/functions/deliver-webhook.ts). An attempt first claims its row for the length of one
// exchange, so two jobs never post the same delivery at once, and records how it went: delivered,
// to be retried (the job's retries back off), or settled without being delivered (no webhook, no
// secret, an address refused, or given up after MAX_DELIVERY_ATTEMPTS). Body and id never change
// between attempts, so a receiver can drop a repeat by its `webhook-id`.
import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { tenantAiSettings, webhookDeliveries, type WebhookDelivery } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { WEBHOOK_TIMEOUT_MS } from "./deliver";
import { describeOutcome, NO_WEBHOOK, sendSignedWebhook, type TenantWebhookOptions } from "./tenant-webhook";

export const MAX_DELIVERY_ATTEMPTS = 10;
/** A claim outlasts one exchange (its deadline, plus name resolution and the database) by this much. */
const CLAIM_MARGIN_MS = 30_000;

export interface WebhookEvent {
  type: string;
  [field: string]: unknown;
}

/** A delivery whose job is to be requested. */
export interface DeliveryRef {
  tenantId: string;
  deliveryId: string;
}

/**
 * Records `event` for the tenant's webhook in the caller's tenant transaction, once per `eventKey`
 * (a second call changes nothing). With no webhook set it is recorded as skipped. Returns the
 * delivery to request a job for, or null when there is nothing to send.
 */
export async function recordWebhookDelivery(tx: Tx, tenantId: string, eventKey: string, event: WebhookEvent, now = new Date()): Promise<DeliveryRef | null> {
  const [settings] = await tx.select({ url: tenantAiSettings.warningWebhookUrl }).from(tenantAiSettings).where(eq(tenantAiSettings.tenantId, tenantId));
  const id = randomUUID();
  const pending = Boolean(settings?.url);
  const [recorded] = await tx
    .insert(webhookDeliveries)
    .values({
      id,
      tenantId,
      eventKey,
      eventType: event.type,
      payload: { id, ...event, created: Math.floor(now.getTime() / 1000), tenantId },
      status: pending ? "pending" : "skipped",
      lastError: pending ? null : NO_WEBHOOK,
      settledAt: pending ? null : now,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.id, status: webhookDeliveries.status });
  return recorded?.status === "pending" ? { tenantId, deliveryId: recorded.id } : null;
}

export type AttemptResult =
  | { kind: "delivered"; attempts: number }
  | { kind: "retry"; attempts: number; reason: string }
  | { kind: "settled"; status: "failed" | "skipped"; reason: string }
  /** Delivered or settled already, or another attempt holds it right now. */
  | { kind: "not-pending" };

/** One attempt at a delivery: claim it, post it signed, record the outcome. */
export async function attemptWebhookDelivery(tenantId: string, deliveryId: string, options: TenantWebhookOptions = {}): Promise<AttemptResult> {
  const claimMs = (options.timeoutMs ?? WEBHOOK_TIMEOUT_MS) + CLAIM_MARGIN_MS;
  const [delivery] = await withTenant(
    tenantId,
    (tx) =>
      tx
        .update(webhookDeliveries)
        .set({ claimedUntil: sql`now() + make_interval(secs => ${claimMs / 1000})` })
        .where(
          and(
            eq(webhookDeliveries.id, deliveryId),
            eq(webhookDeliveries.tenantId, tenantId),
            eq(webhookDeliveries.status, "pending"),
            or(isNull(webhookDeliveries.claimedUntil), lt(webhookDeliveries.claimedUntil, sql`now()`)),
          ),
        )
        .returning(),
    { db: options.db },
  );
  if (!delivery) return { kind: "not-pending" };

  const outcome = await sendSignedWebhook(tenantId, { id: delivery.id, body: JSON.stringify(delivery.payload) }, options);
  const reason = describeOutcome(outcome) ?? "";
  const attempts = delivery.attempts + (outcome.kind === "delivered" || outcome.kind === "failed" ? 1 : 0);
  let result: AttemptResult;
  if (outcome.kind === "delivered") result = { kind: "delivered", attempts };
  else if (outcome.kind === "failed" && attempts < MAX_DELIVERY_ATTEMPTS) result = { kind: "retry", attempts, reason };
  else if (outcome.kind === "failed") result = { kind: "settled", status: "failed", reason: `Gave up after ${attempts} attempts: ${reason}` };
  // An address refused is settled at once: trying it again would only be refused again.
  else result = { kind: "settled", status: outcome.kind === "refused" ? "failed" : "skipped", reason };

  const now = new Date();
  await withTenant(
    tenantId,
    (tx) =>
      tx
        .update(webhookDeliveries)
        .set({
          status: result.kind === "delivered" ? "delivered" : result.kind === "settled" ? result.status : "pending",
          attempts,
          lastError: result.kind === "retry" || result.kind === "settled" ? result.reason : null,
          lastStatus: outcome.kind === "delivered" || outcome.kind === "failed" ? (outcome.status ?? null) : null,
          attemptedAt: now,
          settledAt: result.kind === "retry" ? null : now,
          claimedUntil: null,
        })
        .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.tenantId, tenantId))),
    { db: options.db },
  );
  return result;
}

/** The delivery's job ran out of attempts (or failed otherwise): settle it as given up, with why. */
export async function giveUpWebhookDelivery(tenantId: string, deliveryId: string, why: string): Promise<void> {
  await withTenant(tenantId, (tx) =>
    tx
      .update(webhookDeliveries)
      .set({
        status: "failed",
        lastError: sql`'Gave up after ' || ${webhookDeliveries.attempts} || ' attempts: ' || coalesce(${webhookDeliveries.lastError}, ${why})`,
        settledAt: new Date(),
        claimedUntil: null,
      })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.status, "pending"))),
  );
}

/** How a delivery stands, in words for a table: "sent", "pending", "retrying: …", or why not sent. */
export function describeDelivery(delivery: Pick<WebhookDelivery, "status" | "attempts" | "lastError"> | undefined): string {
  if (!delivery) return "pending";
  switch (delivery.status) {
    case "delivered":
      return "sent";
    case "pending":
      return delivery.attempts > 0 && delivery.lastError ? `retrying: ${delivery.lastError}` : "pending";
    default:
      return delivery.lastError ?? delivery.status;
  }
}

/** The tenant's deliveries for these event keys, by key. */
export async function deliveriesByEventKey(tx: Tx, tenantId: string, eventKeys: string[]): Promise<Map<string, WebhookDelivery>> {
  if (eventKeys.length === 0) return new Map();
  const rows = await tx
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.tenantId, tenantId), inArray(webhookDeliveries.eventKey, eventKeys)));
  return new Map(rows.map((row) => [row.eventKey, row]));
}

/** Seconds a new delivery is left to the caller that recorded it before the dispatcher requests its job. */
const DISPATCH_GRACE_SECONDS = 15;
/** A pending delivery whose job was requested this long ago without settling it: its job is gone. */
const REDISPATCH_AFTER_SECONDS = 2 * 3_600;

/**
 * Pending deliveries whose job was never requested (the request failed, or nothing requests it:
 * the soft-limit warning), or was requested long ago and vanished; every tenant's (system path).
 */
export function deliveriesToDispatch(limit = 500): Promise<Array<DeliveryRef & { dispatchCount: number }>> {
  return withSystem("webhooks: deliveries whose job is to be requested", async (tx) => {
    const rows = await tx
      .select({ tenantId: webhookDeliveries.tenantId, deliveryId: webhookDeliveries.id, dispatchCount: webhookDeliveries.dispatchCount })
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.status, "pending"),
          sql`(${webhookDeliveries.dispatchedAt} is null and ${webhookDeliveries.createdAt} < now() - make_interval(secs => ${DISPATCH_GRACE_SECONDS}))
               or ${webhookDeliveries.dispatchedAt} < now() - make_interval(secs => ${REDISPATCH_AFTER_SECONDS})`,
        ),
      )
      .orderBy(webhookDeliveries.createdAt)
      .limit(limit);
    return rows;
  });
}

/** Notes that the deliveries' jobs were requested (system path: they may belong to many tenants). */
export async function markDispatched(deliveryIds: string[]): Promise<void> {
  if (deliveryIds.length === 0) return;
  await withSystem("webhooks: note requested delivery jobs", (tx) =>
    tx
      .update(webhookDeliveries)
      .set({ dispatchedAt: sql`now()`, dispatchCount: sql`${webhookDeliveries.dispatchCount} + 1` })
      .where(inArray(webhookDeliveries.id, deliveryIds)),
  );
}
