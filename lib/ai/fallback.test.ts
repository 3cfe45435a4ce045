// Fallback order and timing for each provider fault, before and after the first token, through
// the real SDK clients against the scripted fakes; and nothing billed twice.
import type { LanguageModelV3StreamPart } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { createTenant } from "@/test/fixtures";
import {
  drain,
  eventsOf,
  generationRequests,
  newGateway,
  quotaRow,
  recordingSleep,
  testConfig,
  testTimeouts,
  startFakeProvidersForFile,
  userPrompt,
} from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();

async function setup() {
  const tenant = await createTenant("Fallback");
  const { waits, sleep } = recordingSleep();
  const gateway = newGateway(testConfig(servers.openai, servers.gemini), { sleep, random: () => 0.5 });
  const ctx = { tenantId: tenant.tenantId, userId: tenant.userId, feature: "chat", cache: { noCache: true, noStore: true } };
  return { tenant, gateway, ctx, waits };
}

/** Exactly one usage event per call, and the quota charged exactly what the event says. */
async function expectBilledOnce(tenantId: string, gateway: { flush(): Promise<void> }) {
  await gateway.flush();
  const events = await eventsOf(tenantId);
  const quota = await quotaRow(tenantId);
  const tokens = events.reduce((sum, e) => sum + e.inputTokens + e.outputTokens, 0);
  const cost = events.reduce((sum, e) => sum + e.costMicroUsd, 0);
  expect(quota).toMatchObject({ usedTokens: tokens, usedMicroUsd: cost, reservedTokens: 0, reservedMicroUsd: 0 });
  return events;
}

describe("fallback before any token", () => {
  it("honours Retry-After on 429, then succeeds on the same provider", async () => {
    const { tenant, gateway, ctx, waits } = await setup();
    servers.openai.script({ kind: "status", status: 429, retryAfterSeconds: 1 }, { kind: "text", text: "after the wait" });
    const started = performance.now();
    const result = await gateway.generate(ctx, { role: "chat", prompt: userPrompt("hello") });
    expect(result).toMatchObject({ text: "after the wait", provider: "openai", fallbackCount: 0 });
    expect(waits).toEqual([1000]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(generationRequests(servers.openai)).toHaveLength(2);
    expect(generationRequests(servers.gemini)).toHaveLength(0);
    const [event] = await expectBilledOnce(tenant.tenantId, gateway);
    expect(event).toMatchObject({ status: "ok", attempts: 2, fallbackCount: 0, provider: "openai" });
  });

  it("retries a 500 with backoff, then falls back to the next provider", async () => {
    const { tenant, gateway, ctx, waits } = await setup();
    servers.openai.script({ kind: "status", status: 500 }, { kind: "status", status: 503 });
    servers.gemini.script({ kind: "text", text: "from gemini" });
    const result = await gateway.generate(ctx, { role: "chat", prompt: userPrompt("hello") });
    expect(result).toMatchObject({ text: "from gemini", provider: "google", fallbackCount: 1 });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
    expect(generationRequests(servers.openai)).toHaveLength(2);
    const [event] = await expectBilledOnce(tenant.tenantId, gateway);
    expect(event).toMatchObject({ provider: "google", fallbackCount: 1, attempts: 3 });
  });

  it("times out a hanging provider after its timeout, per attempt, then falls back", async () => {
    const { tenant, gateway, ctx } = await setup();
    servers.openai.setDefault({ kind: "hang" });
    servers.gemini.script({ kind: "text", text: "rescued" });
    const started = performance.now();
    const result = await gateway.generate(ctx, { role: "chat", prompt: userPrompt("hello") });
    const elapsed = performance.now() - started;
    expect(result.provider).toBe("google");
    expect(elapsed).toBeGreaterThanOrEqual(2 * testTimeouts.totalMs);
    expect(elapsed).toBeLessThan(2 * testTimeouts.totalMs + 1500);
    await expectBilledOnce(tenant.tenantId, gateway);
  });

  it("treats a connection reset as retriable", async () => {
    const { gateway, ctx } = await setup();
    servers.openai.script({ kind: "reset" }, { kind: "text", text: "second try" });
    expect((await gateway.generate(ctx, { role: "chat", prompt: userPrompt("hello") })).text).toBe("second try");
  });

  it("stops at once on 401 and on a content-policy refusal, without trying anyone else", async () => {
    const { tenant, gateway, ctx } = await setup();
    servers.openai.script({ kind: "status", status: 401, message: "Incorrect API key" });
    await expect(gateway.generate(ctx, { role: "chat", prompt: userPrompt("hello") })).rejects.toMatchObject({ code: "provider_rejected", status: 502 });
    servers.openai.script({ kind: "status", status: 400, message: "Your request was rejected by our content_policy" });
    await expect(gateway.generate(ctx, { role: "chat", prompt: userPrompt("hello") })).rejects.toMatchObject({
      code: "invalid_request",
      message: expect.stringMatching(/content/),
    });
    expect(generationRequests(servers.openai)).toHaveLength(2);
    expect(generationRequests(servers.gemini)).toHaveLength(0);
    const events = await expectBilledOnce(tenant.tenantId, gateway);
    expect(events.map((e) => e.status)).toEqual(["error", "error"]);
  });

  it("skips a provider whose circuit is open, and probes it again after the cool-down", async () => {
    const tenant = await createTenant("Breaker");
    const gateway = newGateway(
      testConfig(servers.openai, servers.gemini, {
        retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 },
        breaker: { failureThreshold: 2, cooldownMs: 300 },
      }),
    );
    const ctx = { tenantId: tenant.tenantId, feature: "chat", cache: { noCache: true, noStore: true } };
    servers.openai.setDefault({ kind: "status", status: 500 });
    servers.gemini.setDefault({ kind: "text", text: "gemini" });
    for (let i = 0; i < 4; i++) await gateway.generate(ctx, { role: "chat", prompt: userPrompt(`q${i}`) });
    expect(generationRequests(servers.openai)).toHaveLength(2); // opened after two failures
    await new Promise((resolve) => setTimeout(resolve, 350));
    servers.openai.setDefault({ kind: "text", text: "openai is back" });
    expect((await gateway.generate(ctx, { role: "chat", prompt: userPrompt("probe") })).text).toBe("openai is back");
    expect(generationRequests(servers.openai)).toHaveLength(3);
  });

  it("fails with a clear error when every provider is down", async () => {
    const { tenant, gateway, ctx } = await setup();
    servers.openai.setDefault({ kind: "status", status: 502 });
    servers.gemini.setDefault({ kind: "status", status: 503 });
    await expect(gateway.generate(ctx, { role: "chat", prompt: userPrompt("hello") })).rejects.toMatchObject({ code: "providers_unavailable", status: 503 });
    const [event] = await expectBilledOnce(tenant.tenantId, gateway);
    expect(event).toMatchObject({ status: "error", inputTokens: 0, outputTokens: 0 });
  });
});

describe("streams", () => {
  it("falls back transparently when a stream fails before its first token", async () => {
    const { tenant, gateway, ctx } = await setup();
    servers.openai.script({ kind: "status", status: 500 }, { kind: "drop", text: "never shown", afterChunks: 0 });
    servers.gemini.script({ kind: "text", text: "streamed from gemini", chunkDelayMs: 2 });
    const stream = await gateway.stream(ctx, { role: "chat", prompt: userPrompt("hello") });
    expect(stream.provider).toBe("google");
    const parts = await drain(stream.parts);
    const text = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("");
    expect(text).toBe("streamed from gemini");
    expect(parts.at(-1)).toMatchObject({ type: "finish", providerMetadata: { keel: { provider: "google", fallbackCount: 1 } } });
    const [event] = await expectBilledOnce(tenant.tenantId, gateway);
    expect(event).toMatchObject({ status: "ok", provider: "google" });
  });

  it("bounds the wait for a first token that never comes", async () => {
    const { gateway, ctx } = await setup();
    servers.openai.setDefault({ kind: "hang" });
    servers.gemini.script({ kind: "text", text: "fast" });
    const started = performance.now();
    const stream = await gateway.stream(ctx, { role: "chat", prompt: userPrompt("hello") });
    expect(stream.provider).toBe("google");
    expect(performance.now() - started).toBeLessThan(2 * testTimeouts.firstTokenMs + 1500);
    await drain(stream.parts);
  });

  it("ends an answer whose provider goes quiet mid-way once the idle bound passes, billing what was delivered", async () => {
    const { tenant, gateway, ctx } = await setup();
    servers.openai.script({ kind: "text", text: "one two three four", chunkDelayMs: 5 * testTimeouts.idleMs });
    const stream = await gateway.stream(ctx, { role: "chat", prompt: userPrompt("hello") });
    const started = performance.now();
    const parts = await drain(stream.parts);
    // Ended by the bound (with the watchdog's granularity), not by the provider's next chunk.
    expect(performance.now() - started).toBeLessThan(4 * testTimeouts.idleMs);
    expect(parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("")).toBe("one ");
    const error = parts.find((p) => p.type === "error");
    if (error?.type !== "error") throw new Error("expected an error part");
    expect(error.error).toMatchObject({ code: "stream_interrupted", message: expect.stringContaining("did not answer in time") });
    const [event] = await expectBilledOnce(tenant.tenantId, gateway);
    expect(event).toMatchObject({ status: "partial", errorCode: "stream_interrupted" });
  });

  it("does not count a consumer's slowness as the provider's idleness", async () => {
    const { gateway, ctx } = await setup();
    servers.openai.script({ kind: "text", text: "one two" });
    const stream = await gateway.stream(ctx, { role: "chat", prompt: userPrompt("hello") });
    const reader = stream.parts.getReader();
    const parts: LanguageModelV3StreamPart[] = [];
    for (;;) {
      // Each part taken well after the idle bound: the provider had answered long before.
      await new Promise((resolve) => setTimeout(resolve, 1.5 * testTimeouts.idleMs));
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    expect(parts.some((p) => p.type === "error")).toBe(false);
    expect(parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("")).toBe("one two");
  });

  it("ends with a visible error after tokens were sent, meters the partial answer and does not fall back", async () => {
    const { tenant, gateway, ctx } = await setup();
    servers.openai.script({ kind: "drop", text: "one two three four five", afterChunks: 2, chunkDelayMs: 2 });
    const stream = await gateway.stream(ctx, { role: "chat", prompt: userPrompt("hello") });
    const parts = await drain(stream.parts);
    const delivered = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("");
    expect(delivered).toBe("one two ");
    // The open text is closed, then the error, then the partial answer as billed.
    const [textEnd, error, partial] = parts.slice(-3);
    expect(textEnd?.type).toBe("text-end");
    if (error?.type !== "error" || partial?.type !== "finish") throw new Error("expected an error part, then a finish part");
    expect(error.error).toMatchObject({ code: "stream_interrupted" });
    const outputTokens = partial.usage.outputTokens.total!;
    expect(outputTokens).toBeGreaterThan(0);
    expect(partial.finishReason.unified).toBe("error");
    expect(generationRequests(servers.gemini)).toHaveLength(0);
    const [event] = await expectBilledOnce(tenant.tenantId, gateway);
    expect(event).toMatchObject({ status: "partial", errorCode: "stream_interrupted", outputTokens });
  });
});
