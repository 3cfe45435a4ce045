// Gateway calls leave spans with who called, what answered and what it cost; with an OTLP endpoint
// configured, spans are exported over HTTP to it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { baseGatewayConfig } from "@/lib/ai/config";
import { createTenant } from "@/test/fixtures";
import { newGateway, userPrompt } from "@/test/gateway-harness";
import { startTracingFromEnv, tracer } from "./tracing";

afterEach(() => trace.disable());

describe("tracing", () => {
  it("records a span per gateway call with its tenant, feature, provider, cache and tokens", async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const tenant = await createTenant("Traced");
    const gateway = newGateway({ ...baseGatewayConfig, providers: [] });
    await gateway.generate({ tenantId: tenant.tenantId, userId: tenant.userId, feature: "chat" }, { role: "chat", prompt: userPrompt("hello") });
    await gateway.embed({ tenantId: tenant.tenantId, feature: "retrieval" }, ["a question"]);
    await gateway.flush();
    const spans = exporter.getFinishedSpans();
    const generate = spans.find((s) => s.name === "keel.gateway.generate");
    expect(generate?.attributes).toMatchObject({ "keel.tenant_id": tenant.tenantId, "keel.feature": "chat", "keel.role": "chat", "keel.provider": "offline" });
    expect(Number(generate?.attributes["keel.input_tokens"])).toBeGreaterThan(0);
    const embeds = spans.filter((s) => s.name === "keel.gateway.embed").map((s) => s.attributes);
    expect(embeds).toContainEqual(expect.objectContaining({ "keel.feature": "retrieval", "keel.inputs": 1, "keel.provider": "offline" }));
  });

  it("exports spans over OTLP/HTTP when an endpoint is configured, and does nothing otherwise", async () => {
    expect(await startTracingFromEnv({} as NodeJS.ProcessEnv)).toBe(false);
    const received: string[] = [];
    const collector: Server = createServer((request, response) => {
      received.push(`${request.method} ${request.url}`);
      request.resume();
      request.on("end", () => response.end("{}"));
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const previous = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    try {
      expect(await startTracingFromEnv({ ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toBe(true);
      tracer().startSpan("keel.test").end();
      const provider = trace.getTracerProvider() as unknown as { forceFlush?: () => Promise<void>; getDelegate?: () => { forceFlush(): Promise<void> } };
      await (provider.getDelegate?.() ?? provider).forceFlush?.();
      await expect.poll(() => received).toContain("POST /v1/traces");
    } finally {
      if (previous === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = previous;
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });
});
