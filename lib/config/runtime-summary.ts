// What this process is wired to, from the environment alone (nothing is opened): for the
// start-up banner and the settings page.
import { engineConfigFromEnv } from "@/db/client";
import { jobRuntime } from "@/core/job-runtime";
import { emailVerificationRequired, mailSettings } from "@/lib/mail/mail-settings";

export interface RuntimeSummary {
  database: string;
  aiProviders: string[];
  /** Who runs the durable functions: an Inngest server, or the local executor. */
  jobs: string;
  /** Where mail goes (SMTP, the development outbox, or nowhere) and whether sign-up needs it. */
  mail: string;
}

function describeMail(env: NodeJS.ProcessEnv): string {
  try {
    const verification = emailVerificationRequired(env) ? "email verification required" : "email verification optional";
    return `${mailSettings(env).description}; ${verification}`;
  } catch (error) {
    return `misconfigured: ${(error as Error).message}`;
  }
}

function describeDatabase(env: NodeJS.ProcessEnv): string {
  const engine = engineConfigFromEnv(env);
  if (engine.kind === "pglite") return `embedded PGlite (${engine.dataDir}) — set DATABASE_URL for PostgreSQL`;
  try {
    const url = new URL(engine.url);
    return `PostgreSQL ${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "PostgreSQL (DATABASE_URL is not a valid URL)";
  }
}

/**
 * The configured providers by name. A self-hosted endpoint's URL (an internal host, perhaps with
 * a token in it) is shown only where `withUrls` says so: the banner and admins, not members.
 */
export function describeAiProviders(options: { withUrls: boolean }, env: NodeJS.ProcessEnv = process.env): string[] {
  const providers: string[] = [];
  if (env.OPENAI_API_KEY) providers.push("OpenAI");
  if (env.GOOGLE_GENERATIVE_AI_API_KEY) providers.push("Google");
  if (env.OPENAI_COMPATIBLE_BASE_URL) providers.push(options.withUrls ? `OpenAI-compatible (${env.OPENAI_COMPATIBLE_BASE_URL})` : "OpenAI-compatible");
  return providers;
}

function configuredAiProviders(env: NodeJS.ProcessEnv = process.env): string[] {
  return describeAiProviders({ withUrls: true }, env);
}

export function runtimeSummary(env: NodeJS.ProcessEnv = process.env): RuntimeSummary {
  const providers = configuredAiProviders(env);
  return {
    database: describeDatabase(env),
    aiProviders:
      providers.length > 0
        ? providers
        : ["none configured: Keel runs offline (set OPENAI_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY or OPENAI_COMPATIBLE_BASE_URL)"],
    jobs: jobRuntime(env).description,
    mail: describeMail(env),
  };
}

export function formatBanner(summary: RuntimeSummary): string {
  return [
    "┌─ Keel",
    `│ database:     ${summary.database}`,
    `│ AI providers: ${summary.aiProviders.join(", ")}`,
    `│ jobs:         ${summary.jobs}`,
    `│ mail:         ${summary.mail}`,
    "└─",
  ].join("\n");
}
