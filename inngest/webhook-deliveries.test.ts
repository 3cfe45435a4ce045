// Webhook deliveries as durable jobs on the local executor: each delivery is its own run, signed
// the Standard Webhooks way (a receiver here verifies every request with `standardwebhooks`'
// own Webhook.verify), retried with backoff under one id and given up with its reason after the
// last attempt; a workspace whose receiver hangs holds at most two delivery slots, so another
// workspace's alert goes out while the first one's requests still hang.
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { Inngest } from "inngest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { webhookDeliveries } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { localExecutorClientOptions } from "@/inngest/client";
import { evaluateTenantAlerts, type ReadObservability } from "@/lib/observability/alerts";
import { stateFor, type MetricReading } from "@/lib/observability/metric-types";
import { recordSoftLimitWebhook } from "@/lib/ai/soft-limit-webhook";
import { deliveriesToDispatch, markDispatched, MAX_DELIVERY_ATTEMPTS, recordWebhookDelivery } from "@/lib/webhooks/deliveries";
import { eventually, runsOf, serveHandler, startExecutor, stopExecutors } from "@/test/local-executor-harness";
import {
  startWebhookReceiver,
  tenantWithWebhook as tenantWithLoopbackWebhook,
  toLoopbackReceiver,
  verifyDelivery,
  type WebhookReceiver,
} from "@/test/webhook-receiver";
import { createDeliverWebhookFunction, WEBHOOK_DELIVERIES_PER_TENANT, WEBHOOK_DELIVERY_RETRIES } from "./functions/deliver-webhook";
import { deliveryEvents, requestWebhookDeliveries } from "./webhook-jobs";

const app = `webhooks-test-${randomUUID().slice(0, 8)}`;
const client = new Inngest({ id: app, ...localExecutorClientOptions });
const eventName = `${app}/delivery.requested`;
// A hanging receiver is cut off after 4 s; the test's slowest path.
const DELIVERY_TIMEOUT_MS = 4_000;
const deliverWebhook = createDeliverWebhookFunction(client, { eventName, delivery: { ...toLoopbackReceiver, timeoutMs: DELIVERY_TIMEOUT_MS } });
const handler = serveHandler(client, [deliverWebhook]);
const request = (refs: Parameters<typeof requestWebhookDeliveries>[0]) => requestWebhookDeliveries(refs, { eventName });

let receiver: WebhookReceiver;
/** Requests the receiver holds open, per path, now and at most. */
const hanging = new Map<string, { now: number; most: number }>();

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  await (await startExecutor(handler)).stop();
});
beforeEach(() => {
  receiver.reset();
  hanging.clear();
});
afterEach(stopExecutors);
afterAll(async () => {
  await stopExecutors();
  await receiver.close();
});

/** A receiver that never answers on `path` (counting how many it holds at once), 204 elsewhere. */
function hangOn(path: string): void {
  receiver.reply = (requestPath, closed) => {
    if (requestPath !== path) return { status: 204 };
    const held = hanging.get(path) ?? { now: 0, most: 0 };
    held.now++;
    held.most = Math.max(held.most, held.now);
    hanging.set(path, held);
    // Held until the sender gives up: a retry after a timeout is not a third request at once.
    void closed.then(() => held.now--);
    return "hang";
  };
}

const tenantWithWebhook = (name: string, path: string) => tenantWithLoopbackWebhook(name, receiver, path);

const deliveriesOf = (tenantId: string) => withTenant(tenantId, (tx) => tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.tenantId, tenantId)));

/** `count` metrics in alert for the tenant: one episode, and one delivery, each. */
function alertingReader(count: number): ReadObservability {
  const line = { alert: 0.02, warn: 0.016, direction: "above" as const };
  return async (scope, { now }) => ({
    scope,
    window: { from: new Date(now.getTime() - 3_600_000).toISOString(), to: now.toISOString() },
    metrics: Array.from({ length: count }, (_, i): MetricReading => ({
      key: `test.metric_${i}`,
      layer: "infrastructure",
      label: `Metric ${i}`,
      unit: "ratio",
      value: 0.5,
      threshold: line,
      state: stateFor(0.5, line),
      history: [],
    })),
  });
}

describe("webhook delivery jobs", () => {
  it("hold Inngest's retries to the delivery's attempts", () => {
    expect(WEBHOOK_DELIVERY_RETRIES + 1).toBe(MAX_DELIVERY_ATTEMPTS);
  });

  it("retry a failing receiver with backoff under one id, every attempt verifiable, until it answers", async () => {
    const { owner, secret } = await tenantWithWebhook("Flaky", "/flaky");
    let failures = 2;
    receiver.reply = () => (failures-- > 0 ? { status: 503 } : { status: 204 });
    await startExecutor(handler, { settings: { sleepScale: 0.001 } });
    const { deliveries } = await evaluateTenantAlerts(owner.tenantId, alertingReader(1), new Date());
    await request(deliveries);
    await eventually(async () => (await deliveriesOf(owner.tenantId))[0]?.status === "delivered");
    expect(receiver.received).toHaveLength(3);
    // The same message each time, and each attempt signed afresh: the receiver's library accepts all three.
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([deliveries[0]!.deliveryId]));
    for (const attempt of receiver.received) expect(verifyDelivery(secret, attempt)).toMatchObject({ type: "alert.opened", id: deliveries[0]!.deliveryId });
    expect((await deliveriesOf(owner.tenantId))[0]).toMatchObject({ attempts: 3, lastError: null, lastStatus: 204 });
    const run = await eventually(async () =>
      (await runsOf(`${app}-deliver-webhook`)).find((r) => r.event.data.deliveryId === deliveries[0]!.deliveryId && r.status !== "active"),
    );
    expect(run).toMatchObject({ status: "completed", output: { kind: "delivered", attempts: 3 } });
  });

  it("give up after the last attempt, with the receiver's answer as the reason", async () => {
    const { owner, secret } = await tenantWithWebhook("Broken receiver", "/broken");
    receiver.reply = () => ({ status: 500 });
    await startExecutor(handler, { settings: { sleepScale: 0.001 } });
    const delivery = await withTenant(owner.tenantId, (tx) => recordWebhookDelivery(tx, owner.tenantId, "test:give-up", { type: "test.event", n: 1 }));
    await request([delivery!]);
    const [settled] = await eventually(async () => {
      const rows = await deliveriesOf(owner.tenantId);
      return rows[0]?.status === "failed" && rows;
    }, 60_000);
    expect(settled).toMatchObject({
      attempts: MAX_DELIVERY_ATTEMPTS,
      lastError: `Gave up after ${MAX_DELIVERY_ATTEMPTS} attempts: The receiver answered 500. (HTTP 500)`,
    });
    expect(receiver.received).toHaveLength(MAX_DELIVERY_ATTEMPTS);
    for (const attempt of receiver.received) expect(verifyDelivery(secret, attempt)).toMatchObject({ type: "test.event", n: 1 });
    // Nothing is sent after it was given up, even when its job is requested again.
    await request([{ ...delivery!, dispatchCount: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(MAX_DELIVERY_ATTEMPTS);
  }, 90_000);

  it("are requested by the dispatcher when nobody requested them (a soft-limit warning), and again if their job vanished", async () => {
    const { owner, secret } = await tenantWithWebhook("Soft limit", "/soft");
    const warning = { tenantId: owner.tenantId, limit: "tokens" as const, message: "This workspace has used 80% of its monthly AI token allowance." };
    const recorded = (await recordSoftLimitWebhook(warning, new Date(Date.now() - 60_000)))!;
    const due = async () => (await deliveriesToDispatch(100_000)).filter((row) => row.deliveryId === recorded.deliveryId);
    expect(await due()).toEqual([{ ...recorded, dispatchCount: 0 }]);
    await markDispatched([recorded.deliveryId]);
    expect(await due()).toEqual([]);
    // Requested three hours ago and still pending: its job is gone, so it is requested again, as a new event.
    await withTenant(owner.tenantId, (tx) =>
      tx
        .update(webhookDeliveries)
        .set({ dispatchedAt: sql`now() - interval '3 hours'` })
        .where(eq(webhookDeliveries.id, recorded.deliveryId)),
    );
    const again = await due();
    expect(again).toEqual([{ ...recorded, dispatchCount: 1 }]);
    expect(deliveryEvents(again)[0]!.id).toBe(`webhook-delivery-${recorded.deliveryId}-1`);
    await startExecutor(handler);
    await request(again);
    await eventually(async () => (await deliveriesOf(owner.tenantId))[0]?.status === "delivered");
    expect(verifyDelivery(secret, receiver.received[0]!)).toMatchObject({ type: "quota.soft_limit", limit: "tokens", tenantId: owner.tenantId });
  });

  it("keep one workspace's hanging receiver from delaying another workspace's alert", async () => {
    const slow = await tenantWithWebhook("Hanging receiver", "/hangs");
    const prompt = await tenantWithWebhook("Prompt receiver", "/prompt");
    hangOn("/hangs");
    await startExecutor(handler, { settings: { sleepScale: 0.001 } });

    // Six alerts for the workspace whose receiver never answers: it may hold two requests at a time.
    const slowAlerts = await evaluateTenantAlerts(slow.owner.tenantId, alertingReader(6), new Date());
    expect(slowAlerts.deliveries).toHaveLength(6);
    await request(slowAlerts.deliveries);
    await eventually(() => hanging.get("/hangs")?.now === WEBHOOK_DELIVERIES_PER_TENANT);

    const started = Date.now();
    const promptAlert = await evaluateTenantAlerts(prompt.owner.tenantId, alertingReader(1), new Date());
    await request(promptAlert.deliveries);
    const [sent] = await eventually(async () => {
      const rows = await deliveriesOf(prompt.owner.tenantId);
      return rows[0]?.status === "delivered" && rows;
    });
    const latencyMs = Date.now() - started;
    // Delivered while the hanging workspace's first requests were still held, none of them timed out yet.
    expect(latencyMs).toBeLessThan(DELIVERY_TIMEOUT_MS);
    expect((await deliveriesOf(slow.owner.tenantId)).every((row) => row.status === "pending" && row.attempts === 0)).toBe(true);
    expect(sent).toMatchObject({ attempts: 1 });
    expect(
      verifyDelivery(
        prompt.secret,
        receiver.received.find((r) => r.path === "/prompt")!,
      ),
    ).toMatchObject({ type: "alert.opened" });
    console.log(`webhooks: another workspace's alert delivered in ${latencyMs} ms while a receiver hung`);

    // The hanging workspace never had more than its two requests open at once; each is cut off at
    // the delivery's deadline and retried, so its deliveries go on failing on their own.
    await eventually(async () => (await deliveriesOf(slow.owner.tenantId)).filter((row) => row.attempts > 0).length >= 2, 20_000);
    expect(hanging.get("/hangs")!.most).toBe(WEBHOOK_DELIVERIES_PER_TENANT);
    const slowRow = (await deliveriesOf(slow.owner.tenantId)).find((row) => row.attempts > 0)!;
    expect(slowRow.lastError).toMatch(new RegExp(`No answer within ${DELIVERY_TIMEOUT_MS} ms`));
  }, 60_000);
});
