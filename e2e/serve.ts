// The server the end-to-end tests drive: a production build (`next build`) served the way
// `npm start` serves it (scripts/serve.ts: two workers on PostgreSQL) on a database of its own — a fresh PostgreSQL database when TEST_DATABASE_URL is set, else a fresh
// embedded PGlite dir — removed again when Playwright stops the server.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { productionServerArgs } from "../scripts/compiled-server";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";

export const E2E_PORT = Number(process.env.E2E_PORT ?? 3210);

const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const adminUrl = process.env.TEST_DATABASE_URL?.trim();
const env: NodeJS.ProcessEnv = {
  ...process.env,
  AUTH_SECRET: randomBytes(32).toString("base64url"),
  // The production server refuses to start without its public origin.
  AUTH_URL: `http://127.0.0.1:${E2E_PORT}`,
  AUTH_TRUST_HOST: "true",
  NEXT_TELEMETRY_DISABLED: "1",
  // The platform operators of e2e/plans.spec.ts and e2e/observability.spec.ts: one each, so
  // neither spec depends on whether the other ran first.
  KEEL_OPERATOR_EMAILS: "operator-plans@keel-e2e.test,operator-observability@keel-e2e.test",
  // Every person of every spec signs up from 127.0.0.1: more than the default 10 an hour.
  KEEL_SIGNUPS_PER_ADDRESS_PER_HOUR: "500",
  // People sign up and go straight in (a spec that tests verification starts its own server), and
  // mail stays in the development outbox (/dev/outbox), where the operator confirms their address.
  KEEL_REQUIRE_EMAIL_VERIFICATION: "false",
  KEEL_MAIL_OUTBOX: "1",
};
delete env.DATABASE_URL;

let databaseUrl: string | undefined;
let dataDir: string | undefined;
if (adminUrl) {
  databaseUrl = await createTestDatabase(adminUrl, "keel_e2e");
  env.DATABASE_URL = databaseUrl;
} else {
  dataDir = `.data/e2e-${process.pid}`;
  env.KEEL_DATA_DIR = dataDir;
}

let child: ChildProcess | undefined;
let cleaning: Promise<never> | undefined;

/** Stops the server and removes its database; every exit path shares one run of it. */
function cleanUp(code: number): Promise<never> {
  cleaning ??= (async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child!.once("exit", resolve));
    }
    if (databaseUrl && adminUrl) await dropTestDatabase(adminUrl, databaseUrl).catch((e: unknown) => console.error("e2e: could not drop", e));
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}.lock`, { force: true });
    }
    process.exit(code);
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void cleanUp(0));

function run(args: string[]): Promise<number> {
  child = spawn(process.execPath, args, { stdio: "inherit", env });
  return new Promise((resolve) => child!.once("exit", (code) => resolve(code ?? 1)));
}

if (process.env.E2E_SKIP_BUILD !== "1") {
  const built = await run([nextBin, "build"]);
  if (built !== 0) await cleanUp(built);
  const compiled = await run(["--import", "tsx", "scripts/build-server.ts"]);
  if (compiled !== 0) await cleanUp(compiled);
}
// Two workers even on a one-core machine: the tests must hold when requests land on different processes.
env.KEEL_WORKERS ??= "2";
const exitCode = await run([...productionServerArgs(), "-p", String(E2E_PORT), "-H", "127.0.0.1"]);
await cleanUp(exitCode);
