// OpenTelemetry: a span per gateway call (`keel.gateway.generate|stream|embed`, with tenant,
// feature, role, provider, model, cache and token attributes), beside the AI SDK's own spans for
// calls made through keelModel with `experimental_telemetry`. Nothing is exported unless configured:
// set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and spans go over OTLP/HTTP
// to that collector, named by OTEL_SERVICE_NAME (default "keel"). Without a provider registered the
// API's spans are no-ops and cost next to nothing.
import { SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import { log } from "@/core/log";

export const tracer = () => trace.getTracer("keel");

/** Runs `work` in a span; the span records the error (message only) and ends when `work` settles. */
export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>, describe?: (result: T) => Attributes): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await work(span);
      if (describe) span.setAttributes(describe(result));
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      if (error && typeof error === "object" && "code" in error) span.setAttribute("keel.error_code", String((error as { code: unknown }).code));
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Registers an OTLP/HTTP exporter when the environment asks for one (instrumentation.ts). */
export async function startTracingFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return false;
  try {
    const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
      import("@opentelemetry/sdk-trace-node"),
      import("@opentelemetry/sdk-trace-base"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
    ]);
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME?.trim() || "keel" }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    });
    provider.register();
    log.info({ endpoint: new URL(endpoint).origin }, "tracing: exporting spans over OTLP/HTTP");
    return true;
  } catch (error) {
    log.error({ err: error }, "tracing: could not start the OTLP exporter; continuing without it");
    return false;
  }
}
