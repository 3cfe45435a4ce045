// The circuit breaker always recovers, rate limits pause a provider only as long as it asked, and a
// call the caller abandons after its request was sent is billed for its input, never free.
import { describe, expect, it } from "vitest";
import { createTenant } from "@/test/fixtures";
import { eventsOf, generationRequests, newGateway, quotaRow, recordingSleep, startFakeProvidersForFile, testConfig, userPrompt } from "@/test/gateway-harness";
import { countTokens } from "./tokens";

const servers = startFakeProvidersForFile();
const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the fake has received `count` generation requests: the call is then really in flight. */
async function untilSent(server: (typeof servers)["openai"], count: number) {
  for (let waited = 0; generationRequests(server).length < count; waited += 10) {
    if (waited > 5_000) throw new Error("the request never reached the provider");
    await sleepMs(10);
  }
}

async function setup(breaker = { failureThreshold: 1, cooldownMs: 150 }, maxRetries = 0) {
  const tenant = await createTenant("Breaker");
  const { waits, sleep } = recordingSleep();
  const gateway = newGateway(
    testConfig(servers.openai, servers.gemini, { breaker, retry: { maxRetries, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 3_000 } }),
    {
      sleep,
      random: () => 0.5,
    },
  );
  const ctx = { tenantId: tenant.tenantId, feature: "chat", cache: { noCache: true, noStore: true } };
  return { tenant, gateway, ctx, waits };
}

/** Opens openai's circuit with one 500 (the call falls back to gemini), then waits out the cool-down. */
async function openAndCoolDown(gateway: ReturnType<typeof newGateway>, ctx: { tenantId: string; feature: string }) {
  servers.openai.script({ kind: "status", status: 500 });
  servers.gemini.setDefault({ kind: "text", text: "from gemini" });
  expect((await gateway.generate(ctx, { role: "chat", prompt: userPrompt("open it") })).provider).toBe("google");
  expect(gateway.breaker.isOpen("openai")).toBe(true);
  await sleepMs(200);
}

describe("circuit breaker", () => {
  it("gives the half-open probe back when the caller aborts it, so the provider is tried again", async () => {
    const { gateway, ctx } = await setup();
    await openAndCoolDown(gateway, ctx);
    servers.openai.script({ kind: "text", text: "slow", delayMs: 2_000 });
    const abort = new AbortController();
    const sent = generationRequests(servers.openai).length;
    const probe = gateway.generate({ ...ctx, signal: abort.signal }, { role: "chat", prompt: userPrompt("probe") });
    await untilSent(servers.openai, sent + 1);
    abort.abort();
    await expect(probe).rejects.toMatchObject({ code: "cancelled" });
    servers.openai.script({ kind: "text", text: "openai is back" });
    // Without the release, `probing` stayed set and openai was never called again on this worker.
    expect((await gateway.generate(ctx, { role: "chat", prompt: userPrompt("after the abort") })).text).toBe("openai is back");
  });

  it("gives the probe back when it ends in a 4xx, which is no failure of the provider", async () => {
    const { gateway, ctx } = await setup();
    await openAndCoolDown(gateway, ctx);
    servers.openai.script({ kind: "status", status: 400, message: "bad request" });
    await expect(gateway.generate(ctx, { role: "chat", prompt: userPrompt("probe") })).rejects.toMatchObject({ code: "invalid_request" });
    servers.openai.script({ kind: "text", text: "openai again" });
    expect((await gateway.generate(ctx, { role: "chat", prompt: userPrompt("next") })).text).toBe("openai again");
  });

  it("honours retry-after-ms as well as Retry-After", async () => {
    const { gateway, ctx, waits } = await setup({ failureThreshold: 100, cooldownMs: 60_000 }, 1);
    servers.openai.script({ kind: "status", status: 429, retryAfterMs: 750 }, { kind: "text", text: "after the wait" });
    expect((await gateway.generate(ctx, { role: "chat", prompt: userPrompt("hi") })).text).toBe("after the wait");
    expect(waits).toEqual([750]);
  });

  it("pauses a provider that answers 429 only as long as it asked, not for the breaker's cool-down", async () => {
    const { gateway, ctx } = await setup({ failureThreshold: 2, cooldownMs: 60_000 });
    servers.openai.setDefault({ kind: "status", status: 429, retryAfterMs: 1_500 });
    servers.gemini.setDefault({ kind: "text", text: "from gemini" });
    // One tenant's burst: every call falls back to gemini while openai rate-limits.
    for (let i = 0; i < 5; i++) expect((await gateway.generate(ctx, { role: "chat", prompt: userPrompt(`burst ${i}`) })).provider).toBe("google");
    expect(gateway.breaker.isOpen("openai")).toBe(false);
    // Inside the provider's window, openai is skipped rather than hammered.
    const before = generationRequests(servers.openai).length;
    await gateway.generate(ctx, { role: "chat", prompt: userPrompt("inside the window") });
    expect(generationRequests(servers.openai)).toHaveLength(before);
    await sleepMs(1_600);
    servers.openai.setDefault({ kind: "text", text: "openai serves again" });
    const other = await createTenant("Other tenant");
    expect((await gateway.generate({ ...ctx, tenantId: other.tenantId }, { role: "chat", prompt: userPrompt("hello") })).text).toBe("openai serves again");
  });
});

describe("abandoned calls are billed for what they cost", () => {
  const question = "Summarise the quarterly report for the board, with the three biggest risks and what we do about each of them.";

  it("charges a non-streaming call whose caller disconnects at least its estimated input", async () => {
    const { tenant, gateway, ctx } = await setup({ failureThreshold: 100, cooldownMs: 60_000 });
    servers.openai.script({ kind: "text", text: "too late", delayMs: 2_000 });
    const abort = new AbortController();
    const call = gateway.generate({ ...ctx, signal: abort.signal }, { role: "chat", prompt: userPrompt(question) });
    await untilSent(servers.openai, 1);
    abort.abort();
    await expect(call).rejects.toMatchObject({ code: "cancelled" });
    await gateway.flush();
    const [event] = await eventsOf(tenant.tenantId);
    expect(event).toMatchObject({ provider: "openai", status: "partial", errorCode: "client_cancelled", outputTokens: 0 });
    expect(event!.inputTokens).toBe(countTokens(question));
    expect(event!.costMicroUsd).toBeGreaterThan(0);
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ usedTokens: countTokens(question), reservedTokens: 0 });
  });

  it("charges a stream aborted before its first token its estimated input", async () => {
    const { tenant, gateway, ctx } = await setup({ failureThreshold: 100, cooldownMs: 60_000 });
    servers.openai.script({ kind: "text", text: "never seen", delayMs: 2_000 });
    const abort = new AbortController();
    const opening = gateway.stream({ ...ctx, signal: abort.signal }, { role: "chat", prompt: userPrompt(question) });
    await untilSent(servers.openai, 1);
    abort.abort();
    await expect(opening).rejects.toMatchObject({ code: "cancelled" });
    await gateway.flush();
    const [event] = await eventsOf(tenant.tenantId);
    expect(event).toMatchObject({ status: "partial", errorCode: "client_cancelled", inputTokens: countTokens(question) });
  });

  it("charges nothing for a call cancelled before any request was sent", async () => {
    const { tenant, gateway, ctx } = await setup({ failureThreshold: 100, cooldownMs: 60_000 });
    const abort = new AbortController();
    abort.abort();
    await expect(gateway.generate({ ...ctx, signal: abort.signal }, { role: "chat", prompt: userPrompt(question) })).rejects.toMatchObject({
      code: "cancelled",
    });
    await gateway.flush();
    const [event] = await eventsOf(tenant.tenantId);
    expect(event).toMatchObject({ status: "error", errorCode: "cancelled", inputTokens: 0 });
    expect(generationRequests(servers.openai)).toHaveLength(0);
  });
});
