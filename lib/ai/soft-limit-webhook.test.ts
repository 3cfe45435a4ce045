// Soft-limit webhooks: refused at save and at send for unsafe addresses, delivered signed to the
// address that was checked, no redirects, a short deadline. The receiver here is on loopback, which
// the rules refuse: the tests let it through with the test-only `allowAddress` hook.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tenantAiSettings } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { isKeelError } from "@/lib/errors";
import { verifyWebhookSignature } from "@/lib/webhooks/signature";
import type { ResolvedAddress } from "@/lib/webhooks/webhook-target";
import { createTenant } from "@/test/fixtures";
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from "@/test/webhook-receiver";
import { rotateWebhookSecret, updateAiSettings, type AiSettingsInput } from "./ai-settings";
import { sendSoftLimitWebhook } from "./soft-limit-webhook";

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
    expect(first.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
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
  it("delivers a body whose Keel-Signature verifies with the tenant's secret, to the checked address", async () => {
    const { tenant, secret } = await tenantWithWebhook();
    // hooks.keel.test exists only in this resolver: the request must connect to what it returned.
    const outcome = await sendSoftLimitWebhook(warningFor(tenant.tenantId), {
      resolveHost: resolvesTo("127.0.0.1"),
      allowAddress: onlyLoopbackReceiver,
      allowHttp: true,
    });
    expect(outcome).toEqual({ kind: "delivered", status: 204 });
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
    const header = String(delivery!.headers["keel-signature"]);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, header, delivery!.body)).toBe(true);
    expect(verifyWebhookSignature(secret, header, delivery!.body.replace("tokens", "usd"))).toBe(false);
    expect(verifyWebhookSignature("whsec_wrong", header, delivery!.body)).toBe(false);
    // Replayed an hour later: refused by the receiver's tolerance.
    expect(verifyWebhookSignature(secret, header, delivery!.body, { now: Math.floor(Date.now() / 1000) + 3_600 })).toBe(false);

    // After a rotation, only the new secret verifies.
    const rotated = await rotateWebhookSecret(tenant);
    await sendSoftLimitWebhook(warningFor(tenant.tenantId), { resolveHost: resolvesTo("127.0.0.1"), allowAddress: onlyLoopbackReceiver, allowHttp: true });
    const next = received[1]!;
    expect(verifyWebhookSignature(rotated, String(next.headers["keel-signature"]), next.body)).toBe(true);
    expect(verifyWebhookSignature(secret, String(next.headers["keel-signature"]), next.body)).toBe(false);
  });

  it.each([
    ["127.0.0.1", "loopback"],
    ["10.0.0.8", "private"],
    ["169.254.169.254", "cloud metadata"],
    ["::ffff:127.0.0.1", "loopback"],
  ])("refuses when the saved name resolves to %s at send time (%s), sending nothing", async (address, reason) => {
    const { tenant } = await tenantWithWebhook();
    const outcome = await sendSoftLimitWebhook(warningFor(tenant.tenantId), { resolveHost: resolvesTo(address), allowHttp: true });
    expect(outcome).toMatchObject({ kind: "refused", reason: expect.stringContaining(reason) });
    expect(received).toEqual([]);
  });

  it("follows no redirect and gives up after its deadline", async () => {
    const { tenant } = await tenantWithWebhook("/moved");
    receiver.reply = (path) => (path === "/moved" ? { status: 307, headers: { location: `http://127.0.0.1:${port}/elsewhere` } } : { status: 204 });
    const options = { resolveHost: resolvesTo("127.0.0.1"), allowAddress: onlyLoopbackReceiver, allowHttp: true };
    expect(await sendSoftLimitWebhook(warningFor(tenant.tenantId), options)).toMatchObject({ kind: "failed", status: 307, reason: /Redirects/ });
    expect(received.map((r) => r.path)).toEqual(["/moved"]);

    receiver.reply = () => "hang";
    const started = Date.now();
    expect(await sendSoftLimitWebhook(warningFor(tenant.tenantId), { ...options, timeoutMs: 300 })).toMatchObject({
      kind: "failed",
      reason: expect.stringMatching(/No answer within 300 ms/),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("sends nothing unsigned: a URL saved before secrets existed waits for one", async () => {
    const tenant = await createTenant("Old hook");
    await withSystem("test: a webhook saved before deliveries were signed", (tx) =>
      tx.insert(tenantAiSettings).values({ tenantId: tenant.tenantId, warningWebhookUrl: `http://hooks.keel.test:${port}/old` }),
    );
    const options = { resolveHost: resolvesTo("127.0.0.1"), allowAddress: onlyLoopbackReceiver, allowHttp: true };
    expect(await sendSoftLimitWebhook(warningFor(tenant.tenantId), options)).toMatchObject({ kind: "unsigned" });
    expect(received).toEqual([]);
    await rotateWebhookSecret(tenant);
    expect(await sendSoftLimitWebhook(warningFor(tenant.tenantId), options)).toMatchObject({ kind: "delivered" });
    const [row] = await withSystem("test: the secret is stored", (tx) =>
      tx.select().from(tenantAiSettings).where(eq(tenantAiSettings.tenantId, tenant.tenantId)),
    );
    expect(verifyWebhookSignature(row!.warningWebhookSecret!, String(received[0]!.headers["keel-signature"]), received[0]!.body)).toBe(true);
  });
});
