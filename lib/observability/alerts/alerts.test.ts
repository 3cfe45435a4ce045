// Alerts: an episode opens once when a metric crosses its alert line, stays one episode while the
// metric hovers, resolves once under the warn line; its owners and admins are told in the app, and
// each end is recorded once as a signed delivery to the tenant's webhook, even with evaluations
// racing. Another tenant sees none of it. (Delivery jobs, retries and isolation between receivers:
// inngest/webhook-deliveries.test.ts.)
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { alertEpisodes, localExecutorCrons, notifications, webhookDeliveries } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { inngest } from "@/inngest/client";
import { evaluateAlertsEveryMinute } from "@/inngest/functions/evaluate-alerts";
import { stateFor, type MetricReading, type MetricThreshold, type ObservabilityReport } from "@/lib/observability/metric-types";
import { attemptWebhookDelivery, type DeliveryRef } from "@/lib/webhooks/deliveries";
import { addMember, createTenant } from "@/test/fixtures";
import {
  startWebhookReceiver,
  tenantWithWebhook as tenantWithLoopbackWebhook,
  toLoopbackReceiver,
  verifyDelivery,
  type ReceivedWebhook,
  type WebhookReceiver,
} from "@/test/webhook-receiver";
import { eventually, runsOf, serveHandler, startExecutor, stopExecutors } from "@/test/local-executor-harness";
import { insertEvents, makeEvents } from "@/test/usage-events";
import { alertTransitions, evaluateTenantAlerts, listAlertEpisodes, tenantsToEvaluate, type ReadObservability } from ".";

const errorRateLine: MetricThreshold = { alert: 0.02, warn: 0.016, direction: "above" };
const availabilityLine: MetricThreshold = { alert: 0.95, warn: 0.97, direction: "below" };

function reading(key: string, value: number | null, threshold: MetricThreshold | null = errorRateLine): MetricReading {
  return { key, layer: "infrastructure", label: key, unit: "ratio", value, threshold, state: stateFor(value, threshold), history: [] };
}

describe("alert transitions", () => {
  it("opens on alert only, keeps one episode while warn, resolves on ok or when the metric disappears", () => {
    expect(alertTransitions([reading("e", 0.01), reading("w", 0.018)], []).open).toEqual([]);
    expect(alertTransitions([reading("e", 0.03)], []).open.map((r) => r.key)).toEqual(["e"]);
    const open = [{ id: "1", metricKey: "e", peakValue: 0.03 }];
    expect(alertTransitions([reading("e", 0.05)], open)).toMatchObject({ open: [], resolve: [], newPeaks: [{ value: 0.05 }] });
    expect(alertTransitions([reading("e", 0.018)], open)).toMatchObject({ open: [], resolve: [], newPeaks: [] });
    expect(alertTransitions([reading("e", 0.001)], open).resolve).toEqual([{ episode: open[0], value: 0.001 }]);
    expect(alertTransitions([], open).resolve).toEqual([{ episode: open[0], value: null }]);
    // "below" metrics: availability falling under its line is the alert, and the peak is the lowest.
    const down = [{ id: "2", metricKey: "a", peakValue: 0.9 }];
    expect(alertTransitions([reading("a", 0.5, availabilityLine)], down).newPeaks).toEqual([{ episode: down[0], value: 0.5 }]);
    expect(alertTransitions([reading("a", 0.99, availabilityLine)], down).resolve).toHaveLength(1);
    // A metric without a line never alerts, whatever its value.
    expect(alertTransitions([reading("tokens", 1e9, null)], []).open).toEqual([]);
  });
});

let receiver: WebhookReceiver;
let port = 0;
let received: ReceivedWebhook[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  port = receiver.port;
  received = receiver.received;
});
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

/** What each delivery's job does, one attempt each. */
const deliver = (deliveries: DeliveryRef[]) => Promise.all(deliveries.map((d) => attemptWebhookDelivery(d.tenantId, d.deliveryId, toLoopbackReceiver)));
const tenantWithWebhook = (name: string) => tenantWithLoopbackWebhook(name, { port }, "/alerts");

/** A reader that reports what the test says the error rate is now. */
function scriptedReader(values: { current: number | null }): ReadObservability {
  return async (scope, { now }): Promise<ObservabilityReport> => ({
    scope,
    window: { from: new Date(now.getTime() - 3_600_000).toISOString(), to: now.toISOString() },
    metrics: [reading("infrastructure.error_rate", values.current)],
  });
}

const alertEvents = () =>
  received.map(
    (r) =>
      JSON.parse(r.body) as {
        id: string;
        type: string;
        tenantId: string;
        alert: { metric: string; openedValue: number; peakValue: number; resolvedValue: number | null };
      },
  );

describe("alert episodes", () => {
  it("fire once, stay one episode while the rate hovers, resolve once; admins are told, members are not, webhooks go once each", async () => {
    const { owner, secret } = await tenantWithWebhook("Alerting");
    const admin = await addMember(owner, "admin");
    const member = await addMember(owner, "member");
    const errorRate = { current: 0.004 as number | null };
    const read = scriptedReader(errorRate);
    let now = new Date();
    const tick = async () => {
      now = new Date(now.getTime() + 60_000);
      const evaluation = await evaluateTenantAlerts(owner.tenantId, read, now);
      await deliver(evaluation.deliveries);
      return evaluation;
    };

    expect(await tick()).toMatchObject({ opened: [], resolved: [] });
    errorRate.current = 0.25;
    expect(await tick()).toMatchObject({ opened: ["infrastructure.error_rate"], resolved: [] });
    errorRate.current = 0.4;
    expect(await tick()).toMatchObject({ opened: [], resolved: [] });
    errorRate.current = 0.018; // under the alert line, over the warn line: still the same episode
    expect(await tick()).toMatchObject({ opened: [], resolved: [] });
    errorRate.current = 0.003;
    expect(await tick()).toMatchObject({ opened: [], resolved: ["infrastructure.error_rate"] });
    expect(await tick()).toMatchObject({ opened: [], resolved: [] });

    const episodes = await listAlertEpisodes(owner.tenantId);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ openedValue: 0.25, peakValue: 0.4, resolvedValue: 0.003, webhook: { opened: "sent", resolved: "sent" } });

    expect(alertEvents().map((e) => e.type)).toEqual(["alert.opened", "alert.resolved"]);
    expect(alertEvents()[1]).toMatchObject({ tenantId: owner.tenantId, alert: { metric: "infrastructure.error_rate", peakValue: 0.4, resolvedValue: 0.003 } });
    // Each verifies with the `standardwebhooks` library, and names its delivery in webhook-id.
    for (const delivery of received) expect(verifyDelivery(secret, delivery)).toMatchObject({ id: delivery.headers["webhook-id"], tenantId: owner.tenantId });

    const noticesOf = (person: { tenantId: string; userId: string }) =>
      withTenant(person.tenantId, (tx) => tx.select({ kind: notifications.kind, title: notifications.title }).from(notifications), { userId: person.userId });
    for (const person of [owner, admin]) {
      expect((await noticesOf(person)).map((n) => n.kind).sort()).toEqual(["alert.opened", "alert.resolved"]);
    }
    expect(await noticesOf(member)).toEqual([]);
  });

  it("open once when evaluations race, and send each end once", async () => {
    const { owner } = await tenantWithWebhook("Racing");
    const read = scriptedReader({ current: 0.5 });
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 6 }, () => evaluateTenantAlerts(owner.tenantId, read, now)));
    expect(results.flatMap((r) => r.opened)).toEqual(["infrastructure.error_rate"]);
    expect(await withTenant(owner.tenantId, (tx) => tx.select().from(alertEpisodes))).toHaveLength(1);
    const deliveries = results.flatMap((r) => r.deliveries);
    expect(deliveries).toHaveLength(1);
    expect(await withTenant(owner.tenantId, (tx) => tx.select().from(webhookDeliveries))).toHaveLength(1);
    // Jobs racing for one delivery post it once: a second attempt finds it claimed or delivered.
    expect(
      (await Promise.all([deliver(deliveries), deliver(deliveries)]))
        .flat()
        .map((r) => r.kind)
        .sort(),
    ).toEqual(["delivered", "not-pending"]);
    expect(alertEvents().map((e) => e.type)).toEqual(["alert.opened"]);
  });

  it("show each end's delivery on the page: pending, retrying with the receiver's answer, sent", async () => {
    const { owner } = await tenantWithWebhook("Flaky receiver");
    const { deliveries } = await evaluateTenantAlerts(owner.tenantId, scriptedReader({ current: 0.5 }), new Date());
    expect((await listAlertEpisodes(owner.tenantId))[0]!.webhook.opened).toBe("pending");
    receiver.reply = () => ({ status: 503 });
    expect(await deliver(deliveries)).toEqual([{ kind: "retry", attempts: 1, reason: "The receiver answered 503. (HTTP 503)" }]);
    expect((await listAlertEpisodes(owner.tenantId))[0]!.webhook.opened).toBe("retrying: The receiver answered 503. (HTTP 503)");
    receiver.reply = () => ({ status: 204 });
    expect(await deliver(deliveries)).toEqual([{ kind: "delivered", attempts: 2 }]);
    expect((await listAlertEpisodes(owner.tenantId))[0]!.webhook.opened).toBe("sent");
    // The same delivery both times: one id, one body.
    expect(new Set(received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(received[0]!.body).toBe(received[1]!.body);
  });

  it("without a webhook, episodes still open and resolve and the page says nothing was sent", async () => {
    const owner = await createTenant("No hook");
    const errorRate = { current: 0.5 as number | null };
    const first = await evaluateTenantAlerts(owner.tenantId, scriptedReader(errorRate), new Date());
    errorRate.current = null;
    const second = await evaluateTenantAlerts(owner.tenantId, scriptedReader(errorRate), new Date());
    expect([...first.deliveries, ...second.deliveries]).toEqual([]);
    const [episode] = await listAlertEpisodes(owner.tenantId);
    expect(episode).toMatchObject({ resolvedValue: null, webhook: { opened: "No webhook set in Settings.", resolved: "No webhook set in Settings." } });
    expect(received).toEqual([]);
  });

  it("are invisible to another tenant, and the tenants to evaluate include any with an open episode", async () => {
    const { owner } = await tenantWithWebhook("Owner of the alert");
    const other = await createTenant("Bystander");
    await evaluateTenantAlerts(owner.tenantId, scriptedReader({ current: 0.9 }), new Date());
    expect(await listAlertEpisodes(other.tenantId)).toEqual([]);
    expect(await withTenant(other.tenantId, (tx) => tx.select().from(webhookDeliveries))).toEqual([]);
    expect(await withTenant(other.tenantId, (tx) => tx.select().from(alertEpisodes))).toEqual([]);
    expect(await withTenant(other.tenantId, (tx) => tx.select().from(alertEpisodes).where(eq(alertEpisodes.tenantId, owner.tenantId)))).toEqual([]);
    const updated = await withTenant(other.tenantId, (tx) =>
      tx
        .update(alertEpisodes)
        .set({ resolvedAt: new Date() })
        .where(and(eq(alertEpisodes.tenantId, owner.tenantId)))
        .returning(),
    );
    expect(updated).toEqual([]);
    expect(await tenantsToEvaluate(new Date())).toContain(owner.tenantId);
  });
});

// Last in this file: the cron evaluates every tenant with calls near its tick, and only this
// file's events are dated in 2032 (test files share the database; KEEL_ALERTS is off elsewhere).
describe("the evaluate-alerts cron on the local executor", () => {
  afterAll(async () => {
    await stopExecutors();
    process.env.KEEL_ALERTS = "off";
  });

  it("opens an alert from the stored usage events at one tick and resolves it at a later one", async () => {
    process.env.KEEL_ALERTS = "on";
    const owner = await createTenant("Cron alerts");
    const actors = { userIds: [owner.userId], apiKeyIds: [null] };
    const withStatus = (events: ReturnType<typeof makeEvents>, errors: number) =>
      events.map((event, i) => ({
        ...event,
        status: i < errors ? ("error" as const) : ("ok" as const),
        errorCode: i < errors ? "providers_unavailable" : null,
      }));
    // 10 of 40 calls failed in the half hour before the first tick: a 25% error rate.
    await insertEvents(owner.tenantId, withStatus(makeEvents(owner.tenantId, 40, "2032-05-04T10:00:00Z", "2032-05-04T10:30:00Z", actors, 31), 10));

    await withSystem("test: forget cron times", (tx) => tx.delete(localExecutorCrons).where(eq(localExecutorCrons.functionId, "keel-evaluate-alerts")));
    let now = new Date("2032-05-04T10:30:30Z");
    const executor = await startExecutor(serveHandler(inngest, [evaluateAlertsEveryMinute]), { settings: { sleepScale: 0.001 }, now: () => now });
    const completedRuns = (count: number) =>
      eventually(async () => {
        const runs = await runsOf("keel-evaluate-alerts");
        return runs.length === count && runs.every((run) => run.status === "completed") && runs;
      });
    const errorRateEpisode = async () => (await listAlertEpisodes(owner.tenantId)).filter((e) => e.metricKey === "infrastructure.error_rate");

    now = new Date("2032-05-04T10:31:05Z");
    executor.wake();
    await completedRuns(1);
    expect(await errorRateEpisode()).toEqual([expect.objectContaining({ openedValue: 0.25, resolvedAt: null })]);

    // 1,000 good calls since: 10 of 1,040 in the last hour is under the 1.6% warn line.
    await insertEvents(owner.tenantId, withStatus(makeEvents(owner.tenantId, 1_000, "2032-05-04T10:31:10Z", "2032-05-04T10:40:00Z", actors, 32), 0));
    now = new Date("2032-05-04T10:41:05Z");
    executor.wake();
    await completedRuns(2);
    const [episode] = await errorRateEpisode();
    expect(episode).toMatchObject({ openedValue: 0.25, resolvedAt: new Date("2032-05-04T10:41:05Z") });
    expect(episode!.resolvedValue).toBeCloseTo(10 / 1_040, 12);
  });
});
