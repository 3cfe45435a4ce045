// Runs once when the Next.js server starts: say what this instance is wired to.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { formatBanner, runtimeSummary } = await import("@/lib/config/runtime-summary");
  console.log(formatBanner(runtimeSummary()));
}
