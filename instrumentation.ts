// Runs once when the Next.js server starts: say what this instance is wired to, start tracing. The
// production server calls it too, before Next.js loads (scripts/serve.ts): once per process.
import { processSingleton } from "@/core/process-singleton";

export function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== undefined && process.env.NEXT_RUNTIME !== "nodejs") return Promise.resolve();
  return processSingleton("instrumentation", startInstrumentation);
}

async function startInstrumentation(): Promise<void> {
  const { formatBanner, runtimeSummary } = await import("@/lib/config/runtime-summary");
  console.log(formatBanner(runtimeSummary()));
  // Spans of gateway calls (and the AI SDK's) go to an OTLP collector when one is configured.
  const { startTracingFromEnv } = await import("@/lib/observability/tracing");
  await startTracingFromEnv();
}
