// A Keel server of a spec's own: the compiled production server (two workers) with the settings
// that spec needs, on a fresh PostgreSQL database when TEST_DATABASE_URL is set, else a fresh
// embedded PGlite dir; stop() ends it and removes its database. For specs whose settings differ
// from the shared server's (e2e/serve.ts): real SMTP, an OIDC provider, scripted AI providers.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { productionServerArgs } from "../../scripts/compiled-server";
import { createTestDatabase, dropTestDatabase } from "../../scripts/test-database";

export interface OwnServerOptions {
  /** Names its database and data dir, and its errors. */
  name: string;
  port: number;
  /** AUTH_URL (default http://127.0.0.1:<port>): a passkey or an OAuth callback may need `localhost`. */
  origin?: string;
  /** Settings on top of the defaults; `undefined` removes one inherited from this process. */
  env: Record<string, string | undefined>;
  /** Each line the server writes to its standard output. */
  onLine?: (line: string) => void;
  /**
   * A database the caller made (and drops): a second instance, or a restart, on the same data.
   * Default: a fresh database of the server's own, dropped by stop().
   */
  databaseUrl?: string;
}

export interface OwnServer {
  url: string;
  databaseUrl: string | null;
  /** Every process of the server (primary, workers, job process) at once, as a crash would: no shutdown runs. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Resolves once no process of the group `pgid` is left (signal 0 finds none), at most 10 s after a SIGKILL. */
async function groupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") return;
      throw error;
    }
    if (Date.now() > deadline) throw new Error(`processes of group ${pgid} were still alive 10 s after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startOwnServer(options: OwnServerOptions): Promise<OwnServer> {
  const url = options.origin ?? `http://127.0.0.1:${options.port}`;
  const adminUrl = process.env.TEST_DATABASE_URL?.trim();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    AUTH_URL: url,
    AUTH_TRUST_HOST: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    // Every person of the spec signs up from 127.0.0.1: more than the default 10 an hour.
    KEEL_SIGNUPS_PER_ADDRESS_PER_HOUR: "500",
    // Two workers even on a one-core machine: the tests must hold when requests land on different processes.
    KEEL_WORKERS: "2",
  };
  delete env.DATABASE_URL;
  delete env.KEEL_DATA_DIR;
  for (const [name, value] of Object.entries(options.env)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  let databaseUrl: string | null = null;
  let dataDir: string | null = null;
  const ownsDatabase = !options.databaseUrl;
  if (options.databaseUrl) {
    databaseUrl = options.databaseUrl;
    env.DATABASE_URL = databaseUrl;
  } else if (adminUrl) {
    databaseUrl = await createTestDatabase(adminUrl, `keel_e2e_${options.name.replaceAll("-", "_")}`);
    env.DATABASE_URL = databaseUrl;
  } else {
    dataDir = `.data/e2e-${options.name}-${process.pid}`;
    env.KEEL_DATA_DIR = dataDir;
  }
  const server = spawn(process.execPath, [...productionServerArgs(), "-p", String(options.port), "-H", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
    // A process group of its own, so kill() reaches the workers and the job process too.
    detached: true,
  });
  const exited = new Promise((resolve) => server.once("exit", resolve));
  const running = () => server.exitCode === null && server.signalCode === null;
  const kill = async () => {
    try {
      process.kill(-server.pid!, "SIGKILL");
    } catch {
      // the group has exited
    }
    await exited;
    // The primary's exit is reported first; its workers, killed with it, may still be tearing down
    // (CI once found one alive just after).
    await groupGone(server.pid!);
  };
  const stop = async () => {
    if (running()) {
      server.kill("SIGTERM");
      await exited;
    }
    if (ownsDatabase && databaseUrl && adminUrl) await dropTestDatabase(adminUrl, databaseUrl).catch((e: unknown) => console.error("e2e: could not drop", e));
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}.lock`, { force: true });
    }
  };
  let pending = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${options.name} server did not start within 120 s`)), 120_000);
      server.stdout!.on("data", (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          options.onLine?.(line);
          if (line.includes("Ready on")) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      server.once("exit", (code) => reject(new Error(`the ${options.name} server exited (${code})`)));
    });
  } catch (error) {
    await kill();
    await stop();
    throw error;
  }
  return { url, databaseUrl, kill, stop };
}
