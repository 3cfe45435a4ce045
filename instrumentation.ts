// Runs once when the Next.js server starts: say what this instance is wired to, start tracing.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { formatBanner, runtimeSummary } = await import("@/lib/config/runtime-summary");
  console.log(formatBanner(runtimeSummary()));
  // Spans of gateway calls (and the AI SDK's) go to an OTLP collector when one is configured.
  const { startTracingFromEnv } = await import("@/lib/observability/tracing");
  await startTracingFromEnv();
}
