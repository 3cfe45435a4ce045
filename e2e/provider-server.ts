// A second production server for the specs that need real providers: the build the Playwright
// webServer made, served as `npm start` serves it (scripts/serve.ts, two workers) on a database of
// its own, with Keel's providers configured by environment for two scripted OpenAI-compatible fakes
// on loopback (OpenAI first, an OpenAI-compatible fallback second). The fakes live in the test's
// own process, so each test scripts what the "model" says; only the paid APIs are fake.
import { createWriteStream, mkdirSync } from "node:fs";
import { startFakeOpenAI, type FakeLlmServer } from "../test/fakes/fake-llm-server";
import { startOwnServer } from "./pages/own-server";

export interface ProviderServer {
  url: string;
  /** The primary provider (Keel's `openai`). */
  primary: FakeLlmServer;
  /** The fallback (Keel's `compatible`, an OpenAI-compatible endpoint). */
  fallback: FakeLlmServer;
  /** The server's own PostgreSQL database (as the admin user), for checks only a database shows; none on PGlite. */
  databaseUrl: string | null;
  stop(): Promise<void>;
}

/**
 * A server's settings for the two fakes: OpenAI first, the OpenAI-compatible fallback second, no
 * Google and no per-feature routes; no mail server, so people sign up and go straight in.
 */
export function twoProviderEnv(primary: FakeLlmServer, fallback: FakeLlmServer): Record<string, string | undefined> {
  return {
    KEEL_REQUIRE_EMAIL_VERIFICATION: "false",
    OPENAI_API_KEY: "e2e-primary",
    OPENAI_BASE_URL: primary.url,
    OPENAI_COMPATIBLE_BASE_URL: fallback.url,
    OPENAI_COMPATIBLE_API_KEY: "e2e-fallback",
    OPENAI_COMPATIBLE_MODEL: "fallback-model",
    KEEL_PROVIDER_ORDER: "openai,compatible",
    GOOGLE_GENERATIVE_AI_API_KEY: undefined,
    KEEL_ROUTES: undefined,
  };
}

export async function startProviderServer(port: number): Promise<ProviderServer> {
  const primary = await startFakeOpenAI();
  const fallback = await startFakeOpenAI();
  mkdirSync("test-results", { recursive: true });
  const log = createWriteStream("test-results/provider-server.log");
  const server = await startOwnServer({
    name: "providers",
    port,
    env: twoProviderEnv(primary, fallback),
    // The server's log goes to a file beside the test results, for when a test fails.
    onLine: (line) => log.write(`${line}\n`),
  }).catch(async (error: unknown) => {
    await Promise.all([primary.close(), fallback.close()]);
    throw error;
  });
  const stop = async () => {
    await server.stop();
    log.end();
    await Promise.all([primary.close(), fallback.close()]);
  };
  return { url: server.url, primary, fallback, databaseUrl: server.databaseUrl, stop };
}
