// A second production server for the specs that need real providers: the build the Playwright
// webServer made, served as `npm start` serves it (scripts/serve.ts, two workers) on a database of
// its own, with Keel's providers configured by environment for two scripted OpenAI-compatible fakes
// on loopback (OpenAI first, an OpenAI-compatible fallback second). The fakes live in the test's
// own process, so each test scripts what the "model" says; only the paid APIs are fake.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { startFakeOpenAI, type FakeLlmServer } from "../test/fakes/fake-llm-server";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";
import { productionServerArgs } from "../scripts/compiled-server";

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

export async function startProviderServer(port: number): Promise<ProviderServer> {
  const primary = await startFakeOpenAI();
  const fallback = await startFakeOpenAI();
  const adminUrl = process.env.TEST_DATABASE_URL?.trim();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    AUTH_URL: `http://127.0.0.1:${port}`,
    AUTH_TRUST_HOST: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    KEEL_SIGNUPS_PER_ADDRESS_PER_HOUR: "500",
    // No mail server: people sign up and go straight in.
    KEEL_REQUIRE_EMAIL_VERIFICATION: "false",
    KEEL_WORKERS: "2",
    OPENAI_API_KEY: "e2e-primary",
    OPENAI_BASE_URL: primary.url,
    OPENAI_COMPATIBLE_BASE_URL: fallback.url,
    OPENAI_COMPATIBLE_API_KEY: "e2e-fallback",
    OPENAI_COMPATIBLE_MODEL: "fallback-model",
    KEEL_PROVIDER_ORDER: "openai,compatible",
  };
  for (const name of ["DATABASE_URL", "KEEL_DATA_DIR", "GOOGLE_GENERATIVE_AI_API_KEY", "KEEL_ROUTES"]) delete env[name];
  let databaseUrl: string | undefined;
  let dataDir: string | undefined;
  if (adminUrl) {
    databaseUrl = await createTestDatabase(adminUrl, "keel_e2e_providers");
    env.DATABASE_URL = databaseUrl;
  } else {
    dataDir = `.data/e2e-providers-${process.pid}`;
    env.KEEL_DATA_DIR = dataDir;
  }
  const server: ChildProcess = spawn(process.execPath, [...productionServerArgs(), "-p", String(port), "-H", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    }
    await Promise.all([primary.close(), fallback.close()]);
    if (databaseUrl && adminUrl) await dropTestDatabase(adminUrl, databaseUrl).catch((e: unknown) => console.error("e2e: could not drop", e));
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}.lock`, { force: true });
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the provider server did not start within 120 s")), 120_000);
      server.stdout!.on("data", (d: Buffer) => {
        if (d.toString().includes("Ready on")) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.once("exit", (code) => reject(new Error(`the provider server exited (${code})`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  // The server's log goes to a file beside the test results, for when a test fails.
  mkdirSync("test-results", { recursive: true });
  server.stdout!.pipe(createWriteStream("test-results/provider-server.log"));
  return { url: `http://127.0.0.1:${port}`, primary, fallback, databaseUrl: databaseUrl ?? null, stop };
}
