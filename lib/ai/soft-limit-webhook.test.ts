// Soft-limit webhooks: refused at save and at send for unsafe addresses, delivered signed (Standard
// Webhooks, verified here with the `standardwebhooks` library itself) to the address that was
// checked, no redirects, a short deadline. The receiver here is on loopback, which the rules
// refuse: the tests let it through with the test-only `allowAddress` hook. The delivery's job
// (retries, give-up, isolation) is tested in inngest/webhook-deliveries.test.ts.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tenantAiSettings, webhookDeliveries } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { isKeelError } from "@/lib/errors";
import { attemptWebhookDelivery } from "@/lib/webhooks/deliveries";
import type { TenantWebhookOptions } from "@/lib/webhooks/tenant-webhook";
import type { ResolvedAddress } from "@/lib/webhooks/webhook-target";
import { createTenant } from "@/test/fixtures";
import { startWebhookReceiver, verifyDelivery, type ReceivedWebhook, type WebhookReceiver } from "@/test/webhook-receiver";
import { rotateWebhookSecret, updateAiSettings, type AiSettingsInput } from "./ai-settings";
import { recordSoftLimitWebhook } from "./soft-limit-webhook";

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

const resolvesTo =
  (...addresses: string[]) =>
  async (): Promise<ResolvedAddress[]> =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
const publicAddress = resolvesTo("93.184.215.14");
const onlyLoopbackReceiver = (address: string) => address === "127.0.0.1";

const settings = (warningWebhookUrl: string | null): AiSettingsInput => ({
  monthlyTokenLimit: null,
  monthlyUsdLimit: null,
  memberMonthlyTokenCap: null,
  softLimitPercent: 80,
  downgradeAtSoftLimit: false,
  warningWebhookUrl,
});
const warningFor = (tenantId: string) => ({ tenantId, limit: "tokens" as const, message: "This workspace has used 80% of its monthly AI token allowance." });

/** Records the warning as the meter does, then makes one attempt at it as its job would. */
async function sendSoftLimitWebhook(warning: ReturnType<typeof warningFor>, options: TenantWebhookOptions) {
  const recorded = await recordSoftLimitWebhook(warning);
  if (!recorded) return { kind: "not recorded" as const };
  return attemptWebhookDelivery(recorded.tenantId, recorded.deliveryId, options);
}

/** A tenant whose webhook (a name the system resolver does not know) was saved as public. */
async function tenantWithWebhook(path = "/keel") {
  const tenant = await createTenant("Hooked");
  const url = `http://hooks.keel.test:${port}${path}`;
  const { webhookSecret } = await updateAiSettings(tenant, settings(url), { resolveHost: publicAddress, allowHttp: true });
  if (!webhookSecret) throw new Error("the first webhook URL should come with a secret");
  return { tenant, url, secret: webhookSecret };
}

describe("saving a webhook URL", () => {
  it.each([
    ["loopback", "127.0.0.1"],
    ["loopback (IPv6)", "::1"],
    ["private", "10.20.30.40"],
    ["private (RFC 1918)", "192.168.0.10"],
    ["private (fc00::/7)", "fd00::5"],
    ["link-local", "169.254.7.7"],
    ["link-local (IPv6)", "fe80::2"],
    ["unspecified", "0.0.0.0"],
    ["CGNAT", "100.100.0.1"],
    ["multicast", "224.0.0.251"],
    ["metadata", "169.254.169.254"],
    ["metadata (IPv6)", "fd00:ec2::254"],
    ["IPv4-mapped loopback", "::ffff:127.0.0.1"],
  ])("refuses a name that resolves to a %s address, as a field error", async (_label, address) => {
    const tenant = await createTenant("Refused hook");
    const error = await updateAiSettings(tenant, settings("https://hooks.example.test/keel"), { resolveHost: resolvesTo("93.184.215.14", address) }).catch(
      (e: unknown) => e,
    );
    expect(isKeelError(error) && error.code).toBe("invalid_input");
    expect(isKeelError(error) && error.fieldErrors.warningWebhookUrl).toMatch(new RegExp(`resolves to ${address.replace(/[.:]/g, "\\$&")}`));
    expect(await withTenant(tenant.tenantId, (tx) => tx.select().from(tenantAiSettings))).toEqual([]);
  });

  it("refuses metadata host names and plain http, and creates the signing secret once", async () => {
    const tenant = await createTenant("Secret once");
    for (const url of ["https://metadata.google.internal/computeMetadata/v1/", "http://hooks.example.test/keel"]) {
      const error = await updateAiSettings(tenant, settings(url), { resolveHost: publicAddress, allowHttp: false }).catch((e: unknown) => e);
      expect(isKeelError(error) && error.fieldErrors.warningWebhookUrl).toBeTruthy();
    }
    const first = await updateAiSettings(tenant, settings("https://hooks.example.test/a"), { resolveHost: publicAddress });
    // The Standard Webhooks form: `whsec_` and the base64 of a 32-byte key.
    expect(first.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(first.webhookSecret!.slice("whsec_".length), "base64")).toHaveLength(32);
    // Kept when the URL changes (the receiver already has it); never returned again.
    expect(await updateAiSettings(tenant, settings("https://hooks.example.test/b"), { resolveHost: publicAddress })).toEqual({ webhookSecret: null });
    // Dropped with the URL.
    await updateAiSettings(tenant, settings(null));
    const [row] = await withTenant(tenant.tenantId, (tx) => tx.select().from(tenantAiSettings));
    expect(row).toMatchObject({ warningWebhookUrl: null, warningWebhookSecret: null });
    await expect(rotateWebhookSecret(tenant)).rejects.toMatchObject({ code: "conflict" });
  });
});

describe("sending the soft-limit warning", () => {
  it("delivers a body signed the Standard Webhooks way with the tenant's secret, to the checked address", async () => {
    const { tenant, secret } = await tenantWithWebhook();
    // hooks.keel.test exists only in this resolver: the request must connect to what it returned.
    const outcome = await sendSoftLimitWebhook(warningFor(tenant.tenantId), {
      resolveHost: resolvesTo("127.0.0.1"),
      allowAddress: onlyLoopbackReceiver,
      allowHttp: true,
    });
    expect(outcome).toEqual({ kind: "delivered", attempts: 1 });
    expect(received).toHaveLength(1);
    const [delivery] = received;
    expect(delivery!.path).toBe("/keel");
    expect(delivery!.headers.host).toBe(`hooks.keel.test:${port}`);
    expect(JSON.parse(delivery!.body)).toMatchObject({
      type: "quota.soft_limit",
      tenantId: tenant.tenantId,
      limit: "tokens",
      message: expect.stringMatching(/80%/),
    });
    expect(delivery!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // The receiver's side, with the off-the-shelf library: verifies, and returns the parsed body.
    expect(verifyDelivery(secret, delivery!)).toEqual(JSON.parse(delivery!.body));
    expect(JSON.parse(delivery!.body).id).toBe(delivery!.headers["webhook-id"]);
    expect(() => verifyDelivery(secret, { ...delivery!, body: delivery!.body.replace("tokens", "usd") })).toThrow(/No matching signature/);
    expect(() => verifyDelivery(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, delivery!)).toThrow(/No matching signature/);
    // Replayed an hour later: refused by the receiver's tolerance (the timestamp is signed).
    const anHourLater = { ...delivery!, headers: { ...delivery!.headers, "webhook-timestamp": String(Math.floor(Date.now() / 1000) - 3_600) } };
    expect(() => verifyDelivery(secret, anHourLater)).toThrow(/timestamp too old|No matching signature/);

    // After a rotation, only the new secret verifies.
    const rotated = await rotateWebhookSecret(tenant);
    await sendSoftLimitWebhook(warningFor(tenant.tenantId), { resolveHost: resolvesTo("127.0.0.1"), allowAddress: onlyLoopbackReceiver, allowHttp: true });
    const next = received[1]!;
    expect(verifyDelivery(rotated, next)).toMatchObject({ type: "quota.soft_limit" });
    expect(() => verifyDelivery(secret, next)).toThrow(/No matching signature/);
  });

  it.each([
    ["127.0.0.1", "loopback"],
    ["10.0.0.8", "private"],
    ["169.254.169.254", "cloud metadata"],
    ["::ffff:127.0.0.1", "loopback"],
  ])("refuses when the saved name resolves to %s at send time (%s), sending nothing", async (address, reason) => {
    const { tenant } = await tenantWithWebhook();
    const outcome = await sendSoftLimitWebhook(warningFor(tenant.tenantId), { resolveHost: resolvesTo(address), allowHttp: true });
    expect(outcome).toMatchObject({ kind: "settled", status: "failed", reason: expect.stringContaining(reason) });
    expect(received).toEqual([]);
  });

  it("follows no redirect and gives up after its deadline", async () => {
    const { tenant } = await tenantWithWebhook("/moved");
    receiver.reply = (path) => (path === "/moved" ? { status: 307, headers: { location: `http://127.0.0.1:${port}/elsewhere` } } : { status: 204 });
    const options = { resolveHost: resolvesTo("127.0.0.1"), allowAddress: onlyLoopbackReceiver, allowHttp: true };
    expect(await sendSoftLimitWebhook(warningFor(tenant.tenantId), options)).toMatchObject({ kind: "retry", reason: "Redirects are not followed. (HTTP 307)" });
    expect(received.map((r) => r.path)).toEqual(["/moved"]);

    receiver.reply = () => "hang";
    expect(await sendSoftLimitWebhook(warningFor(tenant.tenantId), { ...options, timeoutMs: 300 })).toMatchObject({
      kind: "retry",
      reason: expect.stringMatching(/No answer within 300 ms/),
    });
  });

  it("sends nothing unsigned: a URL saved before secrets existed waits for one", async () => {
    const tenant = await createTenant("Old hook");
    await withSystem("test: a webhook saved before deliveries were signed", (tx) =>
      tx.insert(tenantAiSettings).values({ tenantId: tenant.tenantId, warningWebhookUrl: `http://hooks.keel.test:${port}/old` }),
    );
    const options = { resolveHost: resolvesTo("127.0.0.1"), allowAddress: onlyLoopbackReceiver, allowHttp: true };
    expect(await sendSoftLimitWebhook(warningFor(tenant.tenantId), options)).toMatchObject({ kind: "settled", status: "skipped", reason: /No signing secret/ });
    expect(received).toEqual([]);
    await rotateWebhookSecret(tenant);
    expect(await sendSoftLimitWebhook(warningFor(tenant.tenantId), options)).toMatchObject({ kind: "delivered" });
    const [row] = await withSystem("test: the secret is stored", (tx) =>
      tx.select().from(tenantAiSettings).where(eq(tenantAiSettings.tenantId, tenant.tenantId)),
    );
    expect(verifyDelivery(row!.warningWebhookSecret!, received[0]!)).toMatchObject({ type: "quota.soft_limit" });
  });

  it("records nothing to send without a webhook, and another workspace sees none of a workspace's deliveries", async () => {
    const bare = await createTenant("No webhook");
    expect(await recordSoftLimitWebhook(warningFor(bare.tenantId))).toBeNull();
    const { tenant } = await tenantWithWebhook();
    const recorded = await recordSoftLimitWebhook(warningFor(tenant.tenantId));
    expect(recorded).toMatchObject({ tenantId: tenant.tenantId });
    const theirs = await withTenant(bare.tenantId, (tx) => tx.select().from(webhookDeliveries));
    expect(theirs.every((row) => row.tenantId === bare.tenantId)).toBe(true);
    expect(await withTenant(bare.tenantId, (tx) => tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, recorded!.deliveryId)))).toEqual([]);
    expect(await attemptWebhookDelivery(bare.tenantId, recorded!.deliveryId)).toEqual({ kind: "not-pending" });
  });
});

describe("migration 0024's secret conversion", () => {
  it("turns a secret of the old scheme into the Standard Webhooks form of the very key receivers used", async () => {
    const tenant = await createTenant("Old secret");
    const old = `whsec_${randomBytes(32).toString("base64url")}`; // as newWebhookSecret made them before
    expect(old).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    await withSystem("test: a secret from before Standard Webhooks", (tx) =>
      tx.insert(tenantAiSettings).values({ tenantId: tenant.tenantId, warningWebhookUrl: "https://hooks.example.test/old", warningWebhookSecret: old }),
    );
    const migration = readFileSync(path.join(import.meta.dirname, "../../db/migrations/0024_webhook_deliveries.sql"), "utf8");
    const conversion = migration.split("--> statement-breakpoint").find((statement) => statement.includes("UPDATE tenant_ai_settings"))!;
    await withSystem("test: migration 0024's conversion", (tx) => tx.execute(sql.raw(conversion)));
    const [row] = await withSystem("test: the converted secret", (tx) =>
      tx.select().from(tenantAiSettings).where(eq(tenantAiSettings.tenantId, tenant.tenantId)),
    );
    const converted = row!.warningWebhookSecret!;
    expect(converted).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    // Signed with the converted secret, verified by a receiver that kept the old string as is.
    const at = new Date();
    const signature = new Webhook(converted).sign("msg_1", at, "{}");
    expect(signature).toBe(new Webhook(old, { format: "raw" }).sign("msg_1", at, "{}"));
    // A secret already in the new form is left alone.
    await withSystem("test: migration 0024's conversion, again", (tx) => tx.execute(sql.raw(conversion)));
    const [again] = await withSystem("test: the converted secret", (tx) =>
      tx.select().from(tenantAiSettings).where(eq(tenantAiSettings.tenantId, tenant.tenantId)),
    );
    expect(again!.warningWebhookSecret).toBe(converted);
  });
});
