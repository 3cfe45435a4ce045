// Who runs Keel's durable functions, decided once from the environment:
// - an Inngest server (Cloud, self-hosted, or the Dev Server) when one is configured: Keel sends it
//   events and it calls /api/inngest, which serves as usual;
// - otherwise the local executor (inngest/local-executor/): events go into the database and the
//   executor runs them in-process against the same serve() handler; /api/inngest then refuses
//   every request, since nothing would check who is calling.
// /api/inngest is never open: the SDK skips its signature check in Dev Server mode, so that mode
// is honoured only outside production (a production start with INNGEST_DEV set refuses to start,
// and the route refuses requests if one gets that far); otherwise the SDK verifies every request
// against INNGEST_SIGNING_KEY.
// It sits in core/, below lib/ and db/, so configuration and observability can ask which runtime
// runs without importing the jobs layer; its one import is the local executor's defaults, a leaf.
import { defaultSettings, type LocalExecutorSettings } from "@/inngest/local-executor/settings";

/** Environment variables, as process.env or a test's plain object. */
type Env = Record<string, string | undefined>;

export type JobRuntime = { kind: "inngest-server"; description: string } | { kind: "local-executor"; description: string };

/** `INNGEST_DEV` as the SDK reads it: a boolean, or the Dev Server's URL. */
function devServer(value: string | undefined): { on: boolean; url?: string } {
  const text = value?.trim();
  if (!text || /^(0|false|no|off)$/i.test(text)) return { on: false };
  if (/^(1|true|yes|on)$/i.test(text)) return { on: true };
  return { on: true, url: text };
}

export function jobRuntime(env: Env = process.env): JobRuntime {
  const dev = devServer(env.INNGEST_DEV);
  const baseUrl = env.INNGEST_BASE_URL?.trim();
  if (dev.on) return { kind: "inngest-server", description: `Inngest Dev Server (${baseUrl || dev.url || "http://localhost:8288"})` };
  if (env.INNGEST_EVENT_KEY?.trim() || env.INNGEST_SIGNING_KEY?.trim()) {
    return { kind: "inngest-server", description: `Inngest Cloud${baseUrl ? ` / self-hosted at ${baseUrl}` : ""}` };
  }
  if (baseUrl) return { kind: "inngest-server", description: `Inngest server at ${baseUrl}` };
  return {
    kind: "local-executor",
    description:
      "local executor (in-process, queue in the database); production uses an Inngest server: set INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY (or INNGEST_DEV=1 for the Dev Server, in development only)",
  };
}

export type { LocalExecutorSettings };

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? "integer" : "number"}, not "${raw}"`);
  }
  return value;
}

export function localExecutorSettings(env: NodeJS.ProcessEnv = process.env): LocalExecutorSettings {
  return {
    sleepScale: positive(env, "KEEL_LOCAL_EXECUTOR_SLEEP_SCALE", defaultSettings.sleepScale, false),
    pollMs: positive(env, "KEEL_LOCAL_EXECUTOR_POLL_MS", defaultSettings.pollMs, true),
    leaseMs: positive(env, "KEEL_LOCAL_EXECUTOR_LEASE_MS", defaultSettings.leaseMs, true),
    slots: positive(env, "KEEL_LOCAL_EXECUTOR_SLOTS", defaultSettings.slots, true),
    stepTimeoutMs: positive(env, "KEEL_LOCAL_EXECUTOR_STEP_TIMEOUT_MS", defaultSettings.stepTimeoutMs, true),
    runTimeoutMs: positive(env, "KEEL_LOCAL_EXECUTOR_RUN_TIMEOUT_MS", defaultSettings.runTimeoutMs, true),
  };
}

const isProduction = (env: Env) => env.NODE_ENV === "production";

/**
 * Why /api/inngest must refuse every request in this environment, or null when it serves Inngest:
 * then, outside Dev Server mode, the SDK itself refuses any request not signed with the signing key.
 */
export function inngestEndpointRefusal(env: Env = process.env): string | null {
  if (jobRuntime(env).kind === "local-executor") {
    return "Keel runs its jobs with the local executor, in-process. /api/inngest answers only when an Inngest server is configured (INNGEST_DEV, INNGEST_BASE_URL, or INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY).";
  }
  if (devServer(env.INNGEST_DEV).on && isProduction(env)) {
    return "INNGEST_DEV is set in production: Dev Server mode checks no signatures, so /api/inngest refuses every request. Unset it and set INNGEST_SIGNING_KEY.";
  }
  return null;
}

/** Problems with the job settings for a production server (lib/config/production-config.ts). */
export function productionJobProblems(env: Env): string[] {
  const problems: string[] = [];
  if (devServer(env.INNGEST_DEV).on) {
    problems.push(
      "INNGEST_DEV is set. Dev Server mode accepts unsigned requests at /api/inngest, so anyone could run Keel's jobs: unset it, and use Inngest Cloud or a self-hosted Inngest server with INNGEST_SIGNING_KEY and INNGEST_EVENT_KEY (or neither, for the local executor).",
    );
  } else if (jobRuntime(env).kind === "inngest-server" && !env.INNGEST_SIGNING_KEY?.trim()) {
    problems.push(
      "An Inngest server is configured (INNGEST_BASE_URL or INNGEST_EVENT_KEY) without INNGEST_SIGNING_KEY: Inngest's requests to /api/inngest could not be verified, so every one would be refused. Set INNGEST_SIGNING_KEY.",
    );
  }
  return problems;
}
