// Metering reconciles exactly with the calls made: one event per call, none lost, none
// duplicated, rollups equal to the events, quota equal to the spend.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { usageRollups } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { generateKeelObject, readKeelMetadata } from "@/lib/ai";
import { createTenant } from "@/test/fixtures";
import { drain, eventsOf, newGateway, quotaRow, testConfig, startFakeProvidersForFile, userPrompt } from "@/test/gateway-harness";

const servers = startFakeProvidersForFile();

describe("metering", () => {
  it("writes one event per call of every kind, and the rollup and quota agree with them", async () => {
    const tenant = await createTenant("Reconcile");
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const ctx = { tenantId: tenant.tenantId, userId: tenant.userId, feature: "chat" };
    const calls: { requestId: string; tokens: number; cost: number }[] = [];
    const note = (r: { requestId: string; usage: { inputTokens: number; outputTokens: number }; costMicroUsd: number }) =>
      calls.push({ requestId: r.requestId, tokens: r.usage.inputTokens + r.usage.outputTokens, cost: r.costMicroUsd });
    // A stream's finish part and a structured answer say who answered, as billed, under providerMetadata.keel.
    const noteAnswer = (answer: ReturnType<typeof readKeelMetadata>) => {
      if (!answer) throw new Error("expected Keel's answer metadata");
      calls.push({ requestId: answer.requestId, tokens: answer.inputTokens + answer.outputTokens, cost: answer.costMicroUsd });
    };

    servers.openai.setDefault({ kind: "text", text: "plain answer", usage: { input: 30, output: 12 } });
    note(await gateway.generate(ctx, { role: "chat", prompt: userPrompt("one") }));
    note(await gateway.generate(ctx, { role: "chat", prompt: userPrompt("two") }));
    await gateway.flush();
    note(await gateway.generate(ctx, { role: "chat", prompt: userPrompt("one") })); // exact hit: 0 tokens

    servers.openai.script({ kind: "status", status: 500 }, { kind: "status", status: 500 });
    servers.gemini.script({ kind: "status", status: 500 }, { kind: "status", status: 500 });
    const failed = await gateway.generate({ ...ctx, requestId: "failing-call" }, { role: "chat", prompt: userPrompt("three") }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: "providers_unavailable" });
    calls.push({ requestId: "failing-call", tokens: 0, cost: 0 });

    servers.openai.script({ kind: "text", text: "streamed words here", usage: { input: 20, output: 3 } });
    const streamed = await gateway.stream({ ...ctx, cache: { noStore: true } }, { role: "chat", prompt: userPrompt("four") });
    const finish = (await drain(streamed.parts)).at(-1);
    if (finish?.type !== "finish") throw new Error("expected a finish part");
    noteAnswer(readKeelMetadata(finish.providerMetadata));

    servers.openai.script({ kind: "drop", text: "a b c d e f", afterChunks: 3 });
    const broken = await gateway.stream(ctx, { role: "chat", prompt: userPrompt("five") });
    const [error, partial] = (await drain(broken.parts)).slice(-2);
    if (error?.type !== "error" || partial?.type !== "finish") throw new Error("expected an error part, then the partial answer's finish");
    noteAnswer(readKeelMetadata(partial.providerMetadata));

    const embedded = await gateway.embed(ctx, ["alpha", "beta gamma"]);
    calls.push({ requestId: embedded.requestId, tokens: embedded.usage.tokens, cost: Math.ceil(embedded.usage.tokens * 0.02) });

    servers.openai.script({ kind: "text", text: JSON.stringify({ title: "Keel" }), usage: { input: 5, output: 5 } });
    const structured = await generateKeelObject(ctx, "title", { prompt: "name it", schema: z.object({ title: z.string() }) }, gateway);
    noteAnswer(structured.metadata);

    // 50 more at once: none lost.
    servers.openai.setDefault({ kind: "text", text: "bulk", usage: { input: 2, output: 1 } });
    const bulk = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        gateway.generate({ ...ctx, cache: { noCache: true, noStore: true } }, { role: "chat", prompt: userPrompt(`bulk ${i}`) }),
      ),
    );
    bulk.forEach(note);
    await gateway.flush();

    const events = await eventsOf(tenant.tenantId);
    expect(events).toHaveLength(calls.length);
    expect(new Set(events.map((e) => e.requestId))).toEqual(new Set(calls.map((c) => c.requestId)));
    const byRequest = new Map(events.map((e) => [e.requestId, e]));
    for (const call of calls) {
      const event = byRequest.get(call.requestId)!;
      expect({ id: call.requestId, tokens: event.inputTokens + event.outputTokens, cost: event.costMicroUsd }).toEqual({
        id: call.requestId,
        tokens: call.tokens,
        cost: call.cost,
      });
    }

    const rollup = await withTenant(tenant.tenantId, (tx) => tx.select().from(usageRollups).where(eq(usageRollups.tenantId, tenant.tenantId)));
    const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((s, r) => s + f(r), 0);
    expect(sum(rollup, (r) => r.requests)).toBe(events.length);
    expect(sum(rollup, (r) => r.inputTokens + r.outputTokens)).toBe(sum(events, (e) => e.inputTokens + e.outputTokens));
    expect(sum(rollup, (r) => r.costMicroUsd)).toBe(sum(events, (e) => e.costMicroUsd));
    expect(sum(rollup, (r) => r.cacheExact + r.cacheSemantic)).toBe(1);
    expect(sum(rollup, (r) => r.errors)).toBe(1);

    const quota = await quotaRow(tenant.tenantId);
    expect(quota).toMatchObject({
      usedTokens: sum(events, (e) => e.inputTokens + e.outputTokens),
      usedMicroUsd: sum(events, (e) => e.costMicroUsd),
      reservedTokens: 0,
    });
  });

  it("ignores a replayed record with the same request id", async () => {
    const tenant = await createTenant("Replay");
    servers.openai.setDefault({ kind: "text", text: "once", usage: { input: 10, output: 10 } });
    const gateway = newGateway(testConfig(servers.openai, servers.gemini));
    const result = await gateway.generate(
      { tenantId: tenant.tenantId, feature: "api", requestId: "client-retry-1", cache: { noCache: true, noStore: true } },
      { role: "chat", prompt: userPrompt("x") },
    );
    await gateway.flush();
    // An internal caller (a job step retried after a crash) replays the same request id: billing is not repeated.
    await gateway.generate(
      { tenantId: tenant.tenantId, feature: "api", requestId: "client-retry-1", cache: { noCache: true, noStore: true } },
      { role: "chat", prompt: userPrompt("x") },
    );
    await gateway.flush();
    expect(await eventsOf(tenant.tenantId)).toHaveLength(1);
    expect(await quotaRow(tenant.tenantId)).toMatchObject({ usedTokens: result.usage.inputTokens + result.usage.outputTokens, reservedTokens: 0 });
  });
});
